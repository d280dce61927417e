"""The durable intake's table (`update_inbox`)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import InboxStatus, InboxUpdate
from db.repositories import _hot
from db.repositories._sql import _dialect, _insert_for

# Statements run on every update are built once per dialect: building them is a tenth of the
# bot's CPU per update otherwise.
_INBOX = InboxUpdate.__table__
# A literal, not a bound value: only then may SQLite use the partial index of waiting rows.
_WAITING = literal_column("update_inbox.status") == literal_column(f"'{InboxStatus.PENDING.value}'")


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
def _store_updates(dialect: str) -> Any:
    """One INSERT for a whole batch (SQLAlchemy's insertmanyvalues), returning the new ids."""
    return (
        _insert_for(dialect, _INBOX)
        .values(
            bot_id=bindparam("bot_id"),
            update_id=bindparam("update_id"),
            chat_key=bindparam("chat_key"),
            payload=bindparam("payload"),
            status=InboxStatus.PENDING.value,
            received_at=bindparam("now"),
        )
        .on_conflict_do_nothing()
        .returning(_INBOX.c.update_id)
    )


class InboxRepo:
    """The durable intake: updates are stored before Telegram is told they arrived."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def store(self, bot_id: int, rows: list[tuple[int, str, str]]) -> set[int]:
        """Store (update_id, chat_key, payload) rows; the ids that were new (not re-deliveries)."""
        if not rows:
            return set()
        now = utcnow()
        params = [
            {"bot_id": bot_id, "update_id": u, "chat_key": c, "payload": p, "now": now}
            for u, c, p in rows
        ]
        result = await self.session.execute(_store_updates(_dialect(self.session)), params)
        return set(result.scalars().all())

    async def pending(
        self, bot_id: int, *, received_before: datetime | None = None, limit: int | None = None
    ) -> list[tuple[int, str]]:
        """(update_id, payload) of what was stored but not handled, oldest first; with
        `received_before`, only what has waited since before then."""
        query = (
            select(InboxUpdate.update_id, InboxUpdate.payload)
            .where(InboxUpdate.bot_id == bot_id, _WAITING)
            .order_by(InboxUpdate.update_id)
            .limit(limit)
        )
        if received_before is not None:
            query = query.where(InboxUpdate.received_at < received_before)
        result = await self.session.execute(query)
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
        params = {
            "bot_id": bot_id,
            "update_id": update_id,
            "chat_key": chat_key,
            "status": status.value,
            "now": utcnow(),
        }
        return await _hot.execute(self.session, _settle_update, params) > 0

    async def delete_handled_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.received_at < moment, InboxUpdate.status != InboxStatus.PENDING
            )
        )
        return int(getattr(result, "rowcount", 0))
