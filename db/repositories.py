"""Queries, one place per table. Repositories never commit: the caller's unit of work does."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import (
    Assessment,
    AuditLog,
    FollowUp,
    FsmRecord,
    HelpRequest,
    InboxStatus,
    InboxUpdate,
    MessageDirection,
    Person,
    RequestMessage,
    RequestStatus,
    WorkStatus,
)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL do)."""
    return _insert_for(_dialect(session), table)


def _insert_for(dialect: str, table: Any) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Statements run on every update are built once per dialect: building them is a tenth of the
# bot's CPU per update otherwise.
_INBOX = InboxUpdate.__table__


@functools.cache
def _settle_update(dialect: str) -> Any:
    """Mark an update handled (or failed) if it is still pending, recording it if the intake
    has not stored it yet; a row already settled is left alone (rowcount 0). One statement."""
    stmt = _insert_for(dialect, _INBOX).values(
        bot_id=bindparam("bot_id"),
        update_id=bindparam("update_id"),
        chat_key=bindparam("chat_key"),
        status=bindparam("status"),
        received_at=bindparam("now"),
        handled_at=bindparam("now"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["bot_id", "update_id"],
        set_={
            "status": stmt.excluded.status,
            "payload": None,
            "handled_at": stmt.excluded.handled_at,
        },
        where=_INBOX.c.status == InboxStatus.PENDING.value,
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


class InboxRepo:
    """The durable intake: updates are stored before Telegram is told they arrived."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def store(self, bot_id: int, rows: list[tuple[int, str, str]]) -> set[int]:
        """Store (update_id, chat_key, payload) rows; the ids that were new (not re-deliveries)."""
        if not rows:
            return set()
        now = utcnow()
        stmt = (
            _insert(self.session, InboxUpdate)
            .values(
                [
                    {
                        "bot_id": bot_id,
                        "update_id": update_id,
                        "chat_key": chat_key,
                        "payload": payload,
                        "status": InboxStatus.PENDING,
                        "received_at": now,
                    }
                    for update_id, chat_key, payload in rows
                ]
            )
            .on_conflict_do_nothing()
            .returning(InboxUpdate.update_id)
        )
        return set((await self.session.scalars(stmt)).all())

    async def pending(self, bot_id: int) -> list[tuple[int, str]]:
        """(update_id, payload) of what was stored but not handled, oldest first."""
        result = await self.session.execute(
            select(InboxUpdate.update_id, InboxUpdate.payload)
            .where(InboxUpdate.bot_id == bot_id, InboxUpdate.status == InboxStatus.PENDING)
            .order_by(InboxUpdate.update_id)
        )
        return [(row.update_id, row.payload or "{}") for row in result]

    async def claim(self, bot_id: int, update_id: int, chat_key: str) -> bool:
        """Mark the update handled in the caller's transaction; False if it already was.

        An update fed without the intake (a test, a tool), or whose batch is not written
        yet, is recorded here as well, so it too is handled once.
        """
        return await self._settle(bot_id, update_id, chat_key, InboxStatus.DONE)

    async def fail(self, bot_id: int, update_id: int, chat_key: str) -> None:
        """The handler raised: never handle it again (the person got the apology)."""
        await self._settle(bot_id, update_id, chat_key, InboxStatus.FAILED)

    async def _settle(
        self, bot_id: int, update_id: int, chat_key: str, status: InboxStatus
    ) -> bool:
        result = await self.session.execute(
            _settle_update(_dialect(self.session)),
            {
                "bot_id": bot_id,
                "update_id": update_id,
                "chat_key": chat_key,
                "status": status.value,
                "now": utcnow(),
            },
        )
        return bool(getattr(result, "rowcount", 0))

    async def delete_handled_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.received_at < moment, InboxUpdate.status != InboxStatus.PENDING
            )
        )
        return int(getattr(result, "rowcount", 0))


class FamilyMessagesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add_loose(
        self,
        person_id: int,
        *,
        content_type: str,
        text: str | None,
        file_id: str | None,
        message_id: int,
    ) -> None:
        """A family's message that belongs to no request yet."""
        self.session.add(
            RequestMessage(
                person_id=person_id,
                direction=MessageDirection.FROM_FAMILY,
                author_id=person_id,
                family_message_id=message_id,
                content_type=content_type,
                text=text,
                file_id=file_id,
            )
        )


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


class ForgetRepo:
    """What `/forget` erases: everything a family wrote or shared, in the caller's unit of
    work. The rows that only count (requests by category and outcome) stay, emptied."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def erase(self, person_id: int, note: str) -> int:
        """Erase the person's words, files and answers; close their open requests with
        `note`; cancel what is scheduled for them. Returns how many requests were closed."""
        own_requests = select(HelpRequest.id).where(HelpRequest.person_id == person_id)
        await self.session.execute(
            delete(RequestMessage).where(
                (RequestMessage.person_id == person_id)
                | RequestMessage.request_id.in_(own_requests)
            )
        )
        closed = await self.session.execute(
            update(HelpRequest)
            .where(
                HelpRequest.person_id == person_id,
                HelpRequest.status.in_([RequestStatus.NEW, RequestStatus.IN_PROGRESS]),
            )
            .values(status=RequestStatus.CANCELLED, closed_at=utcnow(), outcome_note=note)
        )
        await self.session.execute(
            update(HelpRequest)
            .where(HelpRequest.person_id == person_id)
            .values(summary=None, red_flags=[])
        )
        await self.session.execute(delete(Assessment).where(Assessment.person_id == person_id))
        await self.session.execute(
            update(FollowUp)
            .where(FollowUp.person_id == person_id, FollowUp.status == WorkStatus.PENDING)
            .values(status=WorkStatus.CANCELLED)
        )
        return int(getattr(closed, "rowcount", 0))

    async def drop_dialog_state(self, bot_id: int, chat_id: int) -> None:
        """The conversation state of the chat: its key holds the Telegram id."""
        await self.session.execute(
            delete(FsmRecord).where(FsmRecord.key.startswith(f"fsm:{bot_id}:{chat_id}:"))
        )
