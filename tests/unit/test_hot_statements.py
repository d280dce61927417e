"""The per-update statements run straight on SQLite's connection: same rows as through
SQLAlchemy, in the session's transaction, errors as SQLAlchemy's; a person read that way is
the ORM's own object."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from db.models import FsmRecord, Person, Role, SentMessage
from db.repositories import FsmRepo, PeopleRepo, SentMessagesRepo, _hot
from db.repositories.sent import _add
from db.session import Database

pytestmark = pytest.mark.sqlite_only


async def test_rows_read_back_as_the_orm_wrote_them(db: Database) -> None:
    when = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    async with db.session() as session:
        await SentMessagesRepo(session).add(5, 1, when)
        await FsmRepo(session).upsert("k", "Onboarding:language", {"n": [1, "два"]})
        await session.commit()
    async with db.session() as session:
        sent = (await session.execute(select(SentMessage))).scalar_one()
        assert (sent.chat_id, sent.message_id, sent.at) == (5, 1, when)
        assert await FsmRepo(session).get("k") == ("Onboarding:language", {"n": [1, "два"]})
        # The same text SQLAlchemy itself would have stored, so comparisons still hold.
        stored = (await session.execute(text("SELECT at FROM sent_messages"))).scalar_one()
        assert stored == "2026-05-01 12:30:15.123456"


async def test_they_roll_back_with_the_session(db: Database) -> None:
    async with db.session() as session:
        await SentMessagesRepo(session).add_many(
            [(5, 1, datetime(2026, 5, 1, tzinfo=UTC)), (5, 2, datetime(2026, 5, 1, tzinfo=UTC))]
        )
        await session.rollback()
    async with db.session() as session:
        assert (await session.execute(select(SentMessage))).all() == []
        assert (await session.execute(select(FsmRecord))).all() == []


async def test_a_failure_is_sqlalchemys_error_and_the_session_goes_on(db: Database) -> None:
    async with db.session() as session:
        params: dict[str, Any] = {
            "chat_id": None,
            "message_id": 1,
            "at": datetime(2026, 5, 1, tzinfo=UTC),
        }
        with pytest.raises(IntegrityError, match="NOT NULL"):
            await _hot.execute(session, _add, params)
        await session.rollback()
        assert await _hot.execute(session, _add, {**params, "chat_id": 5}) == 1
        await session.commit()


async def test_they_run_on_the_sqlite_connection_not_through_sqlalchemy(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.session() as session:

        async def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("went through session.execute")

        monkeypatch.setattr(session, "execute", refuse)
        params = {"chat_id": 5, "message_id": 1, "at": datetime(2026, 5, 1, tzinfo=UTC)}
        assert await _hot.execute(session, _add, params) == 1
        await session.commit()


async def test_a_person_read_on_sqlites_connection_is_the_orms_person(db: Database) -> None:
    async with db.session() as session:
        created, new = await PeopleRepo(session).get_or_create(77)
        assert new and created.role is Role.PARENT and created.children_ages == []
        assert created.created_at.tzinfo is UTC and created.is_active is True
        created.locale = "en"  # tracked: written at commit like any loaded object
        await session.commit()
    async with db.session() as session:
        person = await PeopleRepo(session).by_telegram_id(77)
        assert person is not None and person.locale == "en"
        assert await PeopleRepo(session).by_telegram_id(77) is person  # the identity map's
        columns = [c.key for c in Person.__table__.c]
        fast = {k: getattr(person, k) for k in columns}
        session.expunge_all()
        orm = (await session.execute(select(Person).where(Person.telegram_id == 77))).scalar_one()
        assert fast == {k: getattr(orm, k) for k in columns}


async def test_pending_changes_are_flushed_before_a_person_is_read(db: Database) -> None:
    async with db.session() as session:
        person, _ = await PeopleRepo(session).get_or_create(78)
        person.telegram_id = -78  # what /forget does; not flushed yet
        assert await PeopleRepo(session).by_telegram_id(78) is None
        session.add(Person(telegram_id=79))
        found = await PeopleRepo(session).by_telegram_id(79)
        assert found is not None and found.telegram_id == 79
        await session.commit()


async def test_after_a_commit_the_next_statement_is_in_a_new_transaction(db: Database) -> None:
    when = datetime(2026, 5, 1, tzinfo=UTC)
    async with db.session() as session:
        await SentMessagesRepo(session).add(5, 1, when)
        await session.commit()
        # The connection is remembered per transaction: were it reused without a BEGIN, this
        # statement would commit by itself (the driver runs in autocommit between them).
        await SentMessagesRepo(session).add(5, 2, when)
        await session.rollback()
    async with db.session() as session:
        assert await SentMessagesRepo(session).since(5, when) == [1]
