"""Durable work, done by the bot: APScheduler ticks (bot/scheduler.py), and a nudge after a
commit that added work, claim due items from the database and hand each to the handler of
its kind.

Each item is done in a unit of work of its own, with the same rule as an update: the session
is committed before every call to Telegram. A handler that raises is retried with a growing
pause, up to MAX_ATTEMPTS; an item whose worker died is claimed again after STALE_AFTER.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiogram.exceptions import TelegramAPIError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import DueWork, WorkKind, WorkStatus
from db.repositories import WorkRepo
from db.session import Database, current_session

logger = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, DueWork], Awaitable[None]]
BATCH = 20
MAX_ATTEMPTS = 8
STALE_AFTER = timedelta(minutes=5)


class Deferred(Exception):
    """Raised by a handler: not now (a family's quiet hours) — due again at `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


class WorkRunner:
    def __init__(self, db: Database, handlers: dict[WorkKind, Handler]) -> None:
        self.db = db
        self.handlers = handlers
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._nudges: set[asyncio.Task[int]] = set()
        self._lock = asyncio.Lock()

    def nudge(self) -> None:
        """Work was just committed: do it now rather than at the next tick."""
        # A context of its own: not the session of the update that nudged.
        task = asyncio.get_running_loop().create_task(self.tick(), context=contextvars.Context())
        self._nudges.add(task)
        task.add_done_callback(self._nudges.discard)

    async def tick(self) -> int:
        """Claim and do what is due; how many items were done. One tick at a time."""
        if self._lock.locked():
            return 0
        async with self._lock:
            done = 0
            while True:
                async with self.db.session() as session, session.begin():
                    items = await WorkRepo(session).claim(self.owner, utcnow(), BATCH, STALE_AFTER)
                if not items:
                    return done
                for item in items:
                    await self._do(item)
                    done += 1

    async def _do(self, item: DueWork) -> None:
        handler = self.handlers.get(item.kind)
        async with self.db.session() as session:
            token = current_session.set(session)
            try:
                if handler is not None:
                    await handler(session, item)
                await WorkRepo(session).settle(item.id, WorkStatus.DONE)
                await session.commit()
            except Deferred as later:
                await session.rollback()
                await WorkRepo(session).defer(item.id, later.until)
                await session.commit()
            except (TelegramAPIError, SQLAlchemyError, OSError) as exc:
                await session.rollback()
                logger.warning(
                    "work %s (%s) failed, attempt %d: %s",
                    item.id, item.kind.value, item.attempts, type(exc).__name__,
                )  # fmt: skip
                await self._give_back(session, item)
            finally:
                current_session.reset(token)

    async def _give_back(self, session: AsyncSession, item: DueWork) -> None:
        repo = WorkRepo(session)
        if item.attempts >= MAX_ATTEMPTS:
            await repo.settle(item.id, WorkStatus.FAILED)
        else:
            await repo.retry(item.id, utcnow() + retry_delay(item.attempts))
        await session.commit()
