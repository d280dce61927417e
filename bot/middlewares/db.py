"""One database session per update, committed before the bot speaks.

The session of the update being handled sits in a context variable. Before any call to the
Bot API made while handling it, `CommitBeforeSend` commits that session: a family is never
told "your request is registered" about data that is not yet durable, and the SQLite write
lock is never held across a network round-trip.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.enums import ChatType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update
from sqlalchemy.exc import SQLAlchemyError

from bot.middlewares.chat_log import unwritten_of
from bot.runner import chat_key
from bot.services import chat_log
from bot.services.chat_log import Unwritten
from db.base import utcnow
from db.repositories import InboxRepo
from db.session import Database, current_session, on_commit

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """The update's unit of work, which also makes a re-delivered update do nothing.

    The update's inbox row is marked done first, in the same transaction as the handler's
    work. That becomes durable with the first commit, that is before the bot first speaks:
    an update whose handling died before saying anything is handled again on the next
    start, one that already answered never is. A handler that raises leaves the update
    marked failed (the error handler apologises), so it is not retried for ever.

    The same transaction records the id of a message a person wrote in a private chat, and
    carries the ids of what the bot sent since the last one (bot/services/chat_log.py):
    one statement for both.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._unwritten: dict[int, Unwritten | None] = {}  # per bot: its middleware is fixed

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot: Bot = data["bot"]
        if bot.id not in self._unwritten:
            self._unwritten[bot.id] = unwritten_of(bot)
        unwritten = self._unwritten[bot.id]
        carried: list[chat_log.Row] = []
        async with self.db.session() as session:
            token = current_session.set(session)
            try:
                key = ""
                if isinstance(event, Update):
                    # The runner passes the ordering key it computed; a direct feed has none.
                    key = data.get("inbox_chat") or chat_key(event)
                    settled = data.get("inbox_settled")
                    if not await InboxRepo(session).claim(bot.id, event.update_id, key):
                        logger.info("update %s was already handled; skipped", event.update_id)
                        if settled is not None:
                            settled(True)
                        return None
                    if settled is not None:
                        on_commit(session, settled)
                    carried = unwritten.take() if unwritten is not None else []
                    await chat_log.record_rows(session, [*incoming(event), *carried])
                data["session"] = session
                result = await handler(event, data)
                if session.in_transaction() or session.dirty or session.new or session.deleted:
                    await session.commit()  # else the commit before the last send had it all
                return result
            except BaseException as exc:
                await session.rollback()
                if unwritten is not None:
                    unwritten.give_back(carried)
                if isinstance(event, Update) and isinstance(exc, Exception):
                    try:
                        await InboxRepo(session).fail(bot.id, event.update_id, key)
                        await session.commit()
                        if data.get("inbox_settled") is not None:
                            data["inbox_settled"](True)
                    except SQLAlchemyError as db_exc:  # the original error matters more
                        logger.warning("could not mark update %s failed: %s",
                                       event.update_id, type(db_exc).__name__)  # fmt: skip
                raise
            finally:
                current_session.reset(token)


def incoming(update: Update) -> list[chat_log.Row]:
    """The message a person wrote in a private chat, as a row to record."""
    message = update.message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return []
    return [(message.chat.id, message.message_id, utcnow())]


class CommitBeforeSend(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        session = current_session.get()
        if session is not None and session.in_transaction():
            await session.commit()
        return await make_request(bot, method)
