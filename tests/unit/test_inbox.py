"""The durable intake's table: stored before confirmation, handled once, payload dropped."""

from __future__ import annotations

from sqlalchemy import select

from db.models import InboxStatus, InboxUpdate
from db.repositories import InboxRepo
from db.session import Database, on_commit


async def _rows(db: Database) -> dict[int, tuple[InboxStatus, str | None]]:
    async with db.session() as session:
        result = await session.execute(
            select(InboxUpdate.update_id, InboxUpdate.status, InboxUpdate.payload)
        )
        return {r.update_id: (r.status, r.payload) for r in result}


async def test_a_batch_is_stored_once_and_redeliveries_are_not_new(db: Database) -> None:
    async with db.session() as session, session.begin():
        repo = InboxRepo(session)
        assert await repo.store(1, [(10, "c5", '{"a":1}'), (11, "c6", '{"b":2}')]) == {10, 11}
        assert await repo.store(1, [(11, "c6", '{"b":2}'), (12, "c5", "{}")]) == {12}
        assert await repo.store(2, [(10, "c5", "{}")]) == {10}  # another bot's update 10
    async with db.session() as session:
        assert await InboxRepo(session).pending(1) == [(10, '{"a":1}'), (11, '{"b":2}'), (12, "{}")]


async def test_a_claim_wins_once_and_drops_the_payload(db: Database) -> None:
    async with db.session() as session, session.begin():
        repo = InboxRepo(session)
        await repo.store(1, [(10, "c5", '{"text":"мне страшно"}')])
        assert await repo.claim(1, 10, "c5") is True
        assert await repo.claim(1, 10, "c5") is False
    assert await _rows(db) == {10: (InboxStatus.DONE, None)}


async def test_a_rolled_back_claim_leaves_the_update_pending(db: Database) -> None:
    async with db.session() as session, session.begin():
        await InboxRepo(session).store(1, [(10, "c5", "{}")])
    async with db.session() as session:
        await session.begin()
        assert await InboxRepo(session).claim(1, 10, "c5")
        await session.rollback()  # the bot died before it said anything
    async with db.session() as session:
        assert await InboxRepo(session).pending(1) == [(10, "{}")]


async def test_an_update_fed_without_the_intake_is_recorded_and_handled_once(
    db: Database,
) -> None:
    async with db.session() as session, session.begin():
        repo = InboxRepo(session)
        assert await repo.claim(1, 99, "c5") is True
        assert await repo.claim(1, 99, "c5") is False
    assert await _rows(db) == {99: (InboxStatus.DONE, None)}


async def test_a_failed_update_is_not_pending_any_more(db: Database) -> None:
    async with db.session() as session, session.begin():
        repo = InboxRepo(session)
        await repo.store(1, [(10, "c5", '{"x":1}')])
        await repo.fail(1, 10, "c5")
        await repo.fail(1, 11, "c5")  # failed before its batch was written
        assert await repo.store(1, [(11, "c5", '{"x":2}')]) == set()
    assert await _rows(db) == {10: (InboxStatus.FAILED, None), 11: (InboxStatus.FAILED, None)}


async def test_on_commit_is_told_how_each_transaction_ended(db: Database) -> None:
    """What the intake relies on to skip an update its handler has already made durable."""
    ended: list[str] = []
    async with db.session() as session:
        await session.begin()
        on_commit(session, lambda ok: ended.append(f"first {ok}"))
        await InboxRepo(session).claim(1, 10, "c5")
        assert ended == []  # not before the commit
        await session.commit()
        on_commit(session, lambda ok: ended.append(f"second {ok}"))
        await InboxRepo(session).claim(1, 11, "c5")
        await session.rollback()
        await InboxRepo(session).claim(1, 12, "c5")
        await session.commit()  # nothing waits for this one
    assert ended == ["first True", "second False"]
    assert set(await _rows(db)) == {10, 12}
