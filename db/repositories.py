"""Queries, one place per table. Repositories never commit: the caller's unit of work does."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import AuditLog, FsmRecord, Person, ProcessedUpdate


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL do)."""
    return _insert_for(_dialect(session), table)


def _insert_for(dialect: str, table: Any) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Statements run on every update are built once per dialect: building them is a tenth of the
# bot's CPU per update otherwise.
@functools.cache
def _mark_update(dialect: str) -> Any:
    return (
        _insert_for(dialect, ProcessedUpdate.__table__)
        .values(bot_id=bindparam("bot_id"), update_id=bindparam("update_id"))
        .on_conflict_do_nothing()
    )


@functools.cache
def _upsert_fsm(dialect: str) -> Any:
    stmt = _insert_for(dialect, FsmRecord.__table__).values(
        key=bindparam("key"),
        state=bindparam("state"),
        data=bindparam("data"),
        updated_at=bindparam("updated_at"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "state": stmt.excluded.state,
            "data": stmt.excluded.data,
            "updated_at": stmt.excluded.updated_at,
        },
    )


class PeopleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        result = await self.session.execute(select(Person).where(Person.telegram_id == telegram_id))
        return result.scalar_one_or_none()

    async def get_or_create(self, telegram_id: int) -> tuple[Person, bool]:
        """The person with this Telegram id, creating them on first contact (race-safe)."""
        person = await self.by_telegram_id(telegram_id)
        if person is not None:
            return person, False
        stmt = (
            _insert(self.session, Person)
            .values(telegram_id=telegram_id)
            .on_conflict_do_nothing(index_elements=["telegram_id"])
            .returning(Person)
        )
        created = (await self.session.execute(stmt)).scalar_one_or_none()
        if created is not None:
            return created, True
        person = await self.by_telegram_id(telegram_id)  # another update created them first
        assert person is not None
        return person, False


class ProcessedUpdatesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mark(self, bot_id: int, update_id: int) -> bool:
        """Record the update; False if it was already recorded (a duplicate delivery)."""
        result = await self.session.execute(
            _mark_update(_dialect(self.session)), {"bot_id": bot_id, "update_id": update_id}
        )
        return bool(getattr(result, "rowcount", 0))

    async def delete_older_than(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < moment)
        )
        return int(getattr(result, "rowcount", 0))


class FsmRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> tuple[str | None, dict[str, Any]] | None:
        """(state, data) for the key. Plain columns, so no stale identity-map copy is returned."""
        result = await self.session.execute(
            select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == key)
        )
        row = result.one_or_none()
        return None if row is None else (row.state, dict(row.data or {}))

    async def keys(self) -> set[str]:
        return set((await self.session.scalars(select(FsmRecord.key))).all())

    async def upsert(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        await self.session.execute(
            _upsert_fsm(_dialect(self.session)),
            {"key": key, "state": state, "data": data, "updated_at": utcnow()},
        )


class AuditRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        action: str,
        *,
        actor_id: int | None = None,
        object_type: str | None = None,
        object_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditLog(
                action=action,
                actor_id=actor_id,
                object_type=object_type,
                object_id=object_id,
                details=details or {},
            )
        )
