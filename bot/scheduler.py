"""APScheduler only ticks: each job claims due work from the database (design §4)."""

from __future__ import annotations

import logging
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


def create_scheduler(db: Database, work: WorkRunner | None = None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        purge_handled_updates,
        "interval",
        hours=1,
        args=[db],
        id="purge_handled_updates",
        max_instances=1,
        coalesce=True,
        next_run_time=_real_now() + timedelta(minutes=1),
    )
    scheduler.add_job(
        purge_chat_log,
        "interval",
        hours=1,
        args=[db],
        id="purge_chat_log",
        max_instances=1,
        coalesce=True,
        next_run_time=_real_now() + timedelta(minutes=2),
    )
    scheduler.add_job(
        purge_done_work,
        "interval",
        hours=6,
        args=[db],
        id="purge_done_work",
        max_instances=1,
        coalesce=True,
        next_run_time=_real_now() + timedelta(minutes=3),
    )
    if work is not None:
        scheduler.add_job(
            work.kick,
            "interval",
            seconds=WORK_TICK_SECONDS,
            id="due_work",
            max_instances=1,
            coalesce=True,
            next_run_time=_real_now(),  # at start: whatever fell due while the bot was down
        )
    return scheduler
