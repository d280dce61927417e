"""Message ids of private chats, kept 48 hours, so that «Clear this chat» can delete what
Telegram still allows a bot to delete (its own messages and the person's, under 48 hours).

Only ids and times are kept: no text. A little under 48 hours, because a message that turns
too old between reading the list and deleting fails the whole deleteMessages call.

What a person writes is recorded in the update's own transaction. What the bot sends is
known only after the send, when the update's work is already committed; a transaction of
its own for each id was a third of a new person's `/start` in a burst. So those ids wait in
`Unwritten` for the next transaction: the one that begins an update (of whichever chat),
or one of their own started at once, which waits its turn for the connection and then
takes every id sent meanwhile. Under load many replies share one write; when SQLite's writer
is free each is written right after its send, synchronously and without a session (about
half a millisecond less per reply than a transaction of its own); the update that clears a
chat writes them first.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.repositories import SentMessagesRepo
from db.session import Database

logger = logging.getLogger(__name__)

KEEP = timedelta(hours=48)
DELETABLE = timedelta(hours=47)

Row = tuple[int, int, datetime]  # chat id, message id, when


def kept(chat_id: int) -> bool:
    return chat_id > 0  # private chats only: groups are not cleared this way


async def record(
    session: AsyncSession, chat_id: int, message_id: int, at: datetime | None = None
) -> None:
    if kept(chat_id):
        await SentMessagesRepo(session).add(chat_id, message_id, at or utcnow())


async def record_rows(session: AsyncSession, rows: list[Row]) -> None:
    """Rows already checked with `kept`, in one statement."""
    if rows:
        await SentMessagesRepo(session).add_many(rows)


class Unwritten:
    """Ids of messages the bot sent, waiting for a transaction to carry them."""

    def __init__(self) -> None:
        self._rows: list[Row] = []
        self._db: Database | None = None
        self._flushing: asyncio.Task[None] | None = None

    def bind(self, db: Database) -> None:
        """From now on the ids are also written by themselves, right after each send."""
        self._db = db

    def add(self, chat_id: int, message_id: int) -> None:
        if kept(chat_id):
            self._rows.append((chat_id, message_id, utcnow()))
            self._flush_soon()

    def take(self) -> list[Row]:
        rows, self._rows = self._rows, []
        return rows

    def give_back(self, rows: list[Row]) -> None:
        """The transaction that carried them rolled back (writing twice does no harm)."""
        self._rows[:0] = rows

    def _flush_soon(self) -> None:
        if self._db is None or (self._flushing is not None and not self._flushing.done()):
            return  # a flush on its way takes these too, or starts another when done
        if SentMessagesRepo.add_now(self._db, self._rows):
            self._rows = []  # written at once: the writers' connection was free
            return
        # A context of its own: the sender's holds its update's session, and the flush
        # opens another, which must not count as nested in it.
        self._flushing = asyncio.get_running_loop().create_task(
            self._flush(), context=contextvars.Context()
        )

    async def _flush(self) -> None:
        assert self._db is not None
        rows: list[Row] = []
        try:
            async with self._db.session() as session, session.begin():
                await session.connection()  # its turn: what is sent meanwhile comes along
                rows = self.take()
                await record_rows(session, rows)
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("could not record %d sent message ids: %s", len(rows),
                           type(exc).__name__)  # fmt: skip
            self.give_back(rows)
            return  # the next update's transaction carries them, or the next send retries
        if self._rows:
            self._flushing = None
            self._flush_soon()

    async def close(self) -> None:
        """At shutdown: write what waits now."""
        while self._flushing is not None and not self._flushing.done():
            await self._flushing
        if self._rows and self._db is not None:
            await self._flush()


async def deletable(session: AsyncSession, chat_id: int) -> list[int]:
    return await SentMessagesRepo(session).since(chat_id, utcnow() - DELETABLE)


async def purge(session: AsyncSession) -> int:
    return await SentMessagesRepo(session).delete_before(utcnow() - KEEP)
