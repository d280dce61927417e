"""Message ids of private chats, both ways, for «Clear this chat» (bot/services/chat_log.py).

What a person writes is recorded by the update's own transaction (bot/middlewares/db.py);
what the bot sends is collected here and written by the next transaction that carries it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Message

from bot.services.chat_log import Unwritten
from db.session import current_session

if TYPE_CHECKING:
    from aiogram import Bot


class LogOutgoing(BaseRequestMiddleware):
    """What the bot sent to a private chat while handling an update or a job."""

    def __init__(self, unwritten: Unwritten | None = None) -> None:
        self.unwritten = unwritten or Unwritten()

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # The chain hands back the method's result itself, whatever its annotation says.
        result: Any = await make_request(bot, method)
        if current_session.get() is not None and isinstance(result, Message):
            self.unwritten.add(result.chat.id, result.message_id)
        return result  # type: ignore[no-any-return]


def unwritten_of(bot: Bot) -> Unwritten | None:
    for middleware in bot.session.middleware:
        if isinstance(middleware, LogOutgoing):
            return middleware.unwritten
    return None
