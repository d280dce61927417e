"""Message ids of private chats, kept 48 hours, so that «Clear this chat» can delete what
Telegram still allows a bot to delete (its own messages and the person's, under 48 hours).

Only ids and times are kept: no text. A little under 48 hours, because a message that turns
too old between reading the list and deleting fails the whole deleteMessages call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.repositories import SentMessagesRepo

KEEP = timedelta(hours=48)
DELETABLE = timedelta(hours=47)


async def record(
    session: AsyncSession, chat_id: int, message_id: int, at: datetime | None = None
) -> None:
    if chat_id > 0:  # private chats only: groups are not cleared this way
        await SentMessagesRepo(session).add(chat_id, message_id, at or utcnow())


async def deletable(session: AsyncSession, chat_id: int) -> list[int]:
    return await SentMessagesRepo(session).since(chat_id, utcnow() - DELETABLE)


async def purge(session: AsyncSession) -> int:
    return await SentMessagesRepo(session).delete_before(utcnow() - KEEP)
