"""The durable work queue: a claim is one conditional UPDATE, so two claimers (two
connections, as two bot instances would have) never take the same item, and an item whose
worker died is taken again after a while."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from db.base import utcnow
from db.models import DueWork, WorkKind, WorkStatus
from db.repositories import WorkRepo
from db.session import Database


async def _claim_all(db: Database, owner: str) -> list[int]:
    taken: list[int] = []
    while True:
        async with db.session() as session, session.begin():
            items = await WorkRepo(session).claim(owner, utcnow(), 7, timedelta(minutes=5))
        if not items:
            return taken
        taken += [item.id for item in items]
        await asyncio.sleep(0)


async def test_two_claimers_never_take_the_same_item(db: Database, db_url: str) -> None:
    async with db.session() as session, session.begin():
        repo = WorkRepo(session)
        for n in range(200):
            repo.add(WorkKind.ROUTE, n, utcnow() - timedelta(seconds=1))
        repo.add(WorkKind.ROUTE, 999, utcnow() + timedelta(hours=1))  # not due yet
    other = Database(db_url)
    try:
        first, second = await asyncio.gather(_claim_all(db, "a"), _claim_all(other, "b"))
    finally:
        await other.dispose()
    assert len(first) + len(second) == 200
    assert not set(first) & set(second)
    async with db.session() as session:
        pending = await session.scalar(
            select(func.count(DueWork.id)).where(DueWork.status == WorkStatus.PENDING)
        )
    assert pending == 1


async def test_an_item_whose_worker_died_is_claimed_again_later(db: Database) -> None:
    now = utcnow()
    async with db.session() as session, session.begin():
        WorkRepo(session).add(WorkKind.SLA_REMIND, 1, now)
    async with db.session() as session, session.begin():
        [item] = await WorkRepo(session).claim("dead", now, 10, timedelta(minutes=5))
    async with db.session() as session, session.begin():
        assert (
            await WorkRepo(session).claim("b", now + timedelta(minutes=1), 10, timedelta(minutes=5))
            == []
        )
        [again] = await WorkRepo(session).claim(
            "b", now + timedelta(minutes=6), 10, timedelta(minutes=5)
        )
    assert again.id == item.id and again.attempts == 2 and again.owner == "b"


async def test_at_start_what_this_machines_last_run_held_is_due_at_once(db: Database) -> None:
    now = utcnow()
    async with db.session() as session, session.begin():
        WorkRepo(session).add(WorkKind.ROUTE, 1, now)
        WorkRepo(session).add(WorkKind.ROUTE, 2, now)
    async with db.session() as session, session.begin():
        await WorkRepo(session).claim("host-a:111", now, 1, timedelta(minutes=5))
        await WorkRepo(session).claim("host-b:222", now, 1, timedelta(minutes=5))
    async with db.session() as session, session.begin():
        assert await WorkRepo(session).release_host("host-a", "host-a:333", now) == 1
        again = await WorkRepo(session).claim("host-a:333", now, 10, timedelta(minutes=5))
    assert [item.target_id for item in again] == [1]  # host-b's item is not ours to take


async def test_settled_work_is_dropped_after_a_month_and_pending_work_never(db: Database) -> None:
    from bot.scheduler import DONE_WORK_TTL, purge_done_work

    old = utcnow() - DONE_WORK_TTL - timedelta(days=1)
    async with db.session() as session, session.begin():
        for target, status in enumerate(
            [WorkStatus.DONE, WorkStatus.CANCELLED, WorkStatus.PENDING, WorkStatus.FAILED]
        ):
            session.add(DueWork(kind=WorkKind.ROUTE, target_id=target, due_at=old, status=status))
        session.add(
            DueWork(kind=WorkKind.ROUTE, target_id=9, due_at=utcnow(), status=WorkStatus.DONE)
        )
    assert await purge_done_work(db) == 3
    async with db.session() as session:
        left = sorted((await session.scalars(select(DueWork.target_id))).all())
    assert left == [2, 9]  # the pending one, and the recent one
