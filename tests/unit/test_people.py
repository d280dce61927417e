from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.services import people
from db.models import AuditLog, Person, Role
from db.repositories import PeopleRepo
from db.session import Database


async def test_first_contact_creates_once_even_when_racing(db: Database) -> None:
    async def contact() -> int:
        async with db.session() as session, session.begin():
            person = await people.load_person(session, 777, create=True)
            assert person is not None
            return person.id

    ids = await asyncio.gather(*(contact() for _ in range(8)))
    assert len(set(ids)) == 1
    async with db.session() as session:
        assert await session.scalar(select(func.count(Person.id))) == 1


async def test_group_members_are_not_enrolled(db: Database) -> None:
    async with db.session() as session, session.begin():
        assert await people.load_person(session, 5, create=False) is None
    async with db.session() as session:
        assert await PeopleRepo(session).by_telegram_id(5) is None


async def test_admin_ids_bootstrap_admins_and_audit_it(db: Database) -> None:
    async with db.session() as session, session.begin():
        person = await people.load_person(session, 42, create=True, admin_ids=(42,))
        assert person is not None and person.role is Role.ADMIN
    async with db.session() as session:
        actions = (await session.scalars(select(AuditLog.action))).all()
    assert actions == ["role.bootstrap_admin"]


async def test_decline_keeps_only_the_refusal(db: Database) -> None:
    async with db.session() as session, session.begin():
        person = await people.load_person(session, 9, create=True)
        assert person is not None
        person.phone, person.region = "+79990000000", "altai"
        people.accept_consent(session, person, "v1")
        assert person.has_consent
        people.decline_consent(session, person)
    async with db.session() as session:
        stored = await PeopleRepo(session).by_telegram_id(9)
    assert stored is not None
    assert stored.consent_version is None and stored.consent_declined_at is not None
    assert stored.phone is None and stored.region is None
