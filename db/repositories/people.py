from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Person, Role
from db.repositories import _hot
from db.repositories._sql import _dialect, _insert_for

# Every update loads its person, and a new one is created: the statements are built once.
_PEOPLE: Any = Person.__table__
_BY_TELEGRAM_ID = select(Person).where(Person.telegram_id == bindparam("telegram_id"))


@functools.cache
def _select_row(dialect: str) -> Any:
    return select(*_PEOPLE.c).where(_PEOPLE.c.telegram_id == bindparam("telegram_id"))


@functools.cache
def _insert_row(dialect: str) -> Any:
    return (
        _insert_for(dialect, _PEOPLE)
        .values(telegram_id=bindparam("telegram_id"))
        .on_conflict_do_nothing(index_elements=["telegram_id"])
        .returning(*_PEOPLE.c)
    )


@functools.cache
def _create(dialect: str) -> Any:
    """The Core INSERT…RETURNING loaded by the ORM as the session's Person: about a third of
    the CPU of the ORM's own INSERT…RETURNING(Person), which sets up its bulk machinery
    every time (PostgreSQL; SQLite attaches the row itself, see _hot)."""
    return select(Person).from_statement(_insert_row(dialect))


class PeopleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        params = {"telegram_id": telegram_id}
        rows = await _hot.fetch(self.session, _select_row, params)
        if rows is not None:
            return _hot.attach(self.session, Person, rows[0]) if rows else None
        result = await self.session.execute(_BY_TELEGRAM_ID, params)
        return result.scalar_one_or_none()

    async def _insert(self, telegram_id: int) -> Person | None:
        """The new person, or None if someone created them first."""
        params = {"telegram_id": telegram_id}
        rows = await _hot.fetch(self.session, _insert_row, params)
        if rows is not None:
            return _hot.attach(self.session, Person, rows[0]) if rows else None
        result = await self.session.execute(_create(_dialect(self.session)), params)
        return result.scalar_one_or_none()

    async def get_or_create(self, telegram_id: int) -> tuple[Person, bool]:
        """The person with this Telegram id, creating them on first contact (race-safe)."""
        person = await self.by_telegram_id(telegram_id)
        if person is not None:
            return person, False
        created = await self._insert(telegram_id)
        if created is not None:
            return created, True
        person = await self.by_telegram_id(telegram_id)  # another update created them first
        assert person is not None
        return person, False

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def with_roles(self, roles: Iterable[Role]) -> list[Person]:
        result = await self.session.scalars(
            select(Person).where(Person.role.in_(list(roles)), Person.is_active.is_(True))
        )
        return list(result.all())

    async def by_telegram_ids(self, telegram_ids: list[int]) -> dict[int, Person]:
        result = await self.session.scalars(
            select(Person).where(Person.telegram_id.in_(telegram_ids))
        )
        return {p.telegram_id: p for p in result.all()}

    async def mark_unreachable(self, telegram_ids: list[int]) -> None:
        """Telegram said 403 for these: never message them again until they return."""
        await self.session.execute(
            update(Person).where(Person.telegram_id.in_(telegram_ids)).values(is_active=False)
        )
