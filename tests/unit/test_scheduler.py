from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.scheduler import PROCESSED_UPDATES_TTL, create_scheduler, purge_processed_updates
from db.base import utcnow
from db.models import ProcessedUpdate
from db.repositories import ProcessedUpdatesRepo
from db.session import Database


async def test_old_update_ids_are_purged_recent_ones_kept(db: Database) -> None:
    async with db.session() as session, session.begin():
        repo = ProcessedUpdatesRepo(session)
        for update_id in (1, 2, 3):
            await repo.mark(7, update_id)
        stamps = (await session.scalars(select(ProcessedUpdate.processed_at))).all()
        assert all(abs(utcnow() - s) < timedelta(minutes=1) for s in stamps)
        await session.execute(
            update(ProcessedUpdate)
            .where(ProcessedUpdate.update_id.in_([1, 2]))
            .values(processed_at=utcnow() - PROCESSED_UPDATES_TTL - timedelta(hours=1))
        )
    assert await purge_processed_updates(db) == 2
    async with db.session() as session:
        left = (await session.scalars(select(ProcessedUpdate.update_id))).all()
    assert left == [3]


def test_the_scheduler_only_ticks_known_jobs(db: Database) -> None:
    scheduler = create_scheduler(db)
    assert [job.id for job in scheduler.get_jobs()] == ["purge_processed_updates"]
