from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.scheduler import (
    HANDLED_UPDATES_TTL,
    create_scheduler,
    purge_chat_log,
    purge_handled_updates,
)
from bot.services import chat_log
from db.base import utcnow
from db.models import InboxStatus, InboxUpdate
from db.repositories import InboxRepo
from db.session import Database


async def test_old_handled_update_ids_are_purged_recent_and_pending_ones_kept(
    db: Database,
) -> None:
    async with db.session() as session, session.begin():
        repo = InboxRepo(session)
        await repo.store(7, [(n, f"c{n}", "{}") for n in (1, 2, 3, 4)])
        for update_id in (1, 2, 3):
            assert await repo.claim(7, update_id, f"c{update_id}")
        stamps = (await session.scalars(select(InboxUpdate.received_at))).all()
        assert all(abs(utcnow() - s) < timedelta(minutes=1) for s in stamps)
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_([1, 2, 4]))
            .values(received_at=utcnow() - HANDLED_UPDATES_TTL - timedelta(hours=1))
        )
    assert await purge_handled_updates(db) == 2
    async with db.session() as session:
        left = (await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))).all()
    # 4 is old but was never handled: it waits for the next start, it is not thrown away.
    assert sorted(left) == [(3, InboxStatus.DONE), (4, InboxStatus.PENDING)]


def test_the_scheduler_only_ticks_known_jobs(db: Database) -> None:
    scheduler = create_scheduler(db)
    assert [job.id for job in scheduler.get_jobs()] == [
        "purge_handled_updates",
        "purge_chat_log",
        "purge_done_work",
    ]


async def test_message_ids_older_than_telegram_lets_a_bot_delete_are_purged(
    db: Database,
) -> None:
    now = utcnow()
    async with db.session() as session, session.begin():
        await chat_log.record(session, 5, 1, now - timedelta(hours=49))
        await chat_log.record(session, 5, 2, now - timedelta(hours=47, minutes=30))
        await chat_log.record(session, 5, 3, now)
        await chat_log.record(session, -100123, 4, now)  # a group: never kept
    assert await purge_chat_log(db) == 1
    async with db.session() as session:
        # 2 is kept but no longer offered: it may turn too old while it is deleted.
        assert await chat_log.deletable(session, 5) == [3]
        assert await chat_log.deletable(session, -100123) == []
