"""Durable work, done by the bot: APScheduler ticks (bot/scheduler.py), and a nudge after a
commit that added work, claim due items from the database and hand each to the handler of
its kind.

Each item is done in a unit of work of its own, with the same rule as an update: the session
is committed before every call to Telegram. A handler that raises is retried with a growing
pause, up to MAX_ATTEMPTS; an item whose worker died is claimed again after STALE_AFTER.
"""

from __future__ import annotations

import asyncio
import contextlib
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
# A kind done many at a time (check-ins: thousands fall due together); it settles its items
# itself (done, deferred or given back) through `Outcomes`.
BatchHandler = Callable[[list[DueWork], "Outcomes"], Awaitable[None]]
BATCH = 50
# Items done at once: each holds the database only between its Bot API calls (it commits
# before each), so while one waits for Telegram the others go on.
CONCURRENCY = 8
MAX_ATTEMPTS = 8
STALE_AFTER = timedelta(minutes=5)


class Deferred(Exception):
    """Raised by a handler: not now (a family's quiet hours) — due again at `until`."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


class Outcomes:
    """What became of each item of a batch, written in one go when the batch ends."""

    def __init__(self) -> None:
        self.done: list[int] = []
        self.deferred: list[tuple[int, datetime]] = []
        self.failed: list[DueWork] = []

    async def settle(self, session: AsyncSession) -> None:
        repo = WorkRepo(session)
        await repo.settle_many(self.done, WorkStatus.DONE)
        for item_id, until in self.deferred:
            await repo.defer(item_id, until)
        for item in self.failed:
            if item.attempts >= MAX_ATTEMPTS:
                await repo.settle(item.id, WorkStatus.FAILED)
            else:
                await repo.retry(item.id, utcnow() + retry_delay(item.attempts))


class WorkRunner:
    def __init__(
        self,
        db: Database,
        handlers: dict[WorkKind, Handler],
        batch_handlers: dict[WorkKind, BatchHandler] | None = None,
        owner: str | None = None,
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.batch_handlers = batch_handlers or {}
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self._nudges: set[asyncio.Task[int]] = set()
        self._lock = asyncio.Lock()

    def nudge(self) -> None:
        """Work was just committed: do it now rather than at the next tick."""
        # A context of its own: not the session of the update that nudged.
        task = asyncio.get_running_loop().create_task(self.tick(), context=contextvars.Context())
        self._nudges.add(task)
        task.add_done_callback(self._nudges.discard)

    async def kick(self) -> None:
        """The scheduler's job: a tick in a task of its own unless one is running; returns
        at once, so a long tick does not make the job look stuck."""
        if not self._lock.locked():
            self.nudge()

    async def recover(self) -> int:
        """At start: what this instance's previous run was doing when it died is due again
        now, not after STALE_AFTER (another instance's work is left to it)."""
        host = self.owner.rsplit(":", 1)[0]
        async with self.db.session() as session, session.begin():
            return await WorkRepo(session).release_host(host, self.owner, utcnow())

    async def drain(self, timeout: float) -> None:
        """On a graceful stop: let a tick in progress finish (a batch half-sent would otherwise
        wait for STALE_AFTER), for at most `timeout` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout), self._lock:
                pass

    async def tick(self) -> int:
        """Claim and do what is due; how many items were done. One tick at a time."""
        if self._lock.locked():
            return 0
        async with self._lock:
            done = 0
            slots = asyncio.Semaphore(CONCURRENCY)
            while True:
                async with self.db.session() as session, session.begin():
                    items = await WorkRepo(session).claim(self.owner, utcnow(), BATCH, STALE_AFTER)
                if not items:
                    return done
                for kind, handler in self.batch_handlers.items():
                    batch = [item for item in items if item.kind is kind]
                    if batch:
                        await self._do_batch(handler, batch)
                single = [item for item in items if item.kind not in self.batch_handlers]
                await asyncio.gather(*(self._do_in(slots, item) for item in single))
                done += len(items)

    async def _do_batch(self, handler: BatchHandler, items: list[DueWork]) -> None:
        outcomes = Outcomes()
        try:
            await handler(items, outcomes)
        except (TelegramAPIError, SQLAlchemyError, OSError) as exc:
            logger.warning("a batch of %d failed: %s", len(items), type(exc).__name__)
            settled = set(outcomes.done) | {i for i, _ in outcomes.deferred}
            outcomes.failed += [
                i for i in items if i.id not in settled and i not in outcomes.failed
            ]
        async with self.db.session() as session, session.begin():
            await outcomes.settle(session)

    async def _do_in(self, slots: asyncio.Semaphore, item: DueWork) -> None:
        async with slots:
            await self._do(item)

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
