"""APScheduler only ticks: each job claims due work from the database (design §4)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services import chat_log
from bot.work import WorkRunner
from db.base import utcnow
from db.repositories import InboxRepo, WorkRepo
from db.session import Database

logger = logging.getLogger(__name__)

# Telegram keeps undelivered updates for 24 hours; a week of ids covers every re-delivery.
HANDLED_UPDATES_TTL = timedelta(days=7)


async def purge_handled_updates(db: Database) -> int:
    async with db.session() as session, session.begin():
        removed = await InboxRepo(session).delete_handled_before(utcnow() - HANDLED_UPDATES_TTL)
    if removed:
        logger.info("purged %d handled update ids", removed)
    return removed


DONE_WORK_TTL = timedelta(days=30)


async def purge_done_work(db: Database) -> int:
    """Due work that is done or cancelled is kept a month (for a look back), then dropped."""
    async with db.session() as session, session.begin():
        return await WorkRepo(session).delete_settled_before(utcnow() - DONE_WORK_TTL)


async def purge_chat_log(db: Database) -> int:
    """Message ids older than Telegram lets a bot delete are of no use: dropped hourly."""
    async with db.session() as session, session.begin():
        return await chat_log.purge(session)


WORK_TICK_SECONDS = 2


def _real_now() -> datetime:
    """APScheduler keeps the machine's time; the app's clock (utcnow) may be moved by tests."""
    return datetime.now(UTC)


def every(
    scheduler: AsyncIOScheduler,
    job: Callable[..., Awaitable[object]],
    *args: object,
    first_in: timedelta = timedelta(),
    job_id: str | None = None,
    **interval: float,
) -> None:
    """An interval job that never overlaps itself and runs once after missed ticks."""
    scheduler.add_job(
        job,
        "interval",
        args=list(args),
        id=job_id or job.__name__,
        max_instances=1,
        coalesce=True,
        next_run_time=_real_now() + first_in,
        **interval,
    )


def create_scheduler(db: Database, work: WorkRunner | None = None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    every(scheduler, purge_handled_updates, db, hours=1, first_in=timedelta(minutes=1))
    every(scheduler, purge_chat_log, db, hours=1, first_in=timedelta(minutes=2))
    every(scheduler, purge_done_work, db, hours=6, first_in=timedelta(minutes=3))
    if work is not None:
        # At once at start: whatever fell due while the bot was down.
        every(scheduler, work.kick, seconds=WORK_TICK_SECONDS, job_id="due_work")
    return scheduler
