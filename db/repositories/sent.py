from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SentMessage
from db.repositories import _hot
from db.repositories._sql import _insert_for
from db.session import Database


@functools.cache
def _add(dialect: str) -> Any:
    """Built once: an id is recorded for nearly every message, both ways."""
    return (
        _insert_for(dialect, SentMessage.__table__)
        .values(
            chat_id=bindparam("chat_id"), message_id=bindparam("message_id"), at=bindparam("at")
        )
        .on_conflict_do_nothing()
    )


class SentMessagesRepo:
    """Message ids of private chats, for «Clear this chat» (Telegram allows 48 hours)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, chat_id: int, message_id: int, at: datetime) -> None:
        await _hot.execute(
            self.session, _add, {"chat_id": chat_id, "message_id": message_id, "at": at}
        )

    async def add_many(self, rows: list[tuple[int, int, datetime]]) -> None:
        """(chat id, message id, when) rows; one statement."""
        params = [{"chat_id": c, "message_id": m, "at": at} for c, m, at in rows]
        await _hot.execute(self.session, _add, params[0] if len(params) == 1 else params)

    @staticmethod
    def add_now(db: Database, rows: list[tuple[int, int, datetime]]) -> bool:
        """The same, at once without a session if SQLite's writer is free (`_hot.write_now`);
        False if it must go through a session."""
        params = [{"chat_id": c, "message_id": m, "at": at} for c, m, at in rows]
        return _hot.write_now(db, _add, params)

    async def since(self, chat_id: int, moment: datetime) -> list[int]:
        result = await self.session.scalars(
            select(SentMessage.message_id)
            .where(SentMessage.chat_id == chat_id, SentMessage.at >= moment)
            .order_by(SentMessage.message_id)
        )
        return list(result.all())

    async def forget_chat(self, chat_id: int) -> None:
        await self.session.execute(delete(SentMessage).where(SentMessage.chat_id == chat_id))

    async def delete_before(self, moment: datetime) -> int:
        result = await self.session.execute(delete(SentMessage).where(SentMessage.at < moment))
        return int(getattr(result, "rowcount", 0))
