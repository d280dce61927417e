"""Message ids of private chats, both ways, for «Clear this chat» (bot/services/chat_log.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.enums import ChatType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Message, TelegramObject

from bot.middlewares.db import Handler
from bot.services import chat_log
from db.session import current_session

if TYPE_CHECKING:
    from aiogram import Bot


class LogIncoming(BaseMiddleware):
    """What a person writes in a private chat (the id only), in the update's own unit."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message) and event.chat.type == ChatType.PRIVATE:
            await chat_log.record(data["session"], event.chat.id, event.message_id)
        return await handler(event, data)


class LogOutgoing(BaseRequestMiddleware):
    """What the bot sent to a private chat, in the unit of work that sent it."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # The chain hands back the method's result itself, whatever its annotation says.
        result: Any = await make_request(bot, method)
        session = current_session.get()
        if session is not None and isinstance(result, Message):
            await chat_log.record(session, result.chat.id, result.message_id)
        return result  # type: ignore[no-any-return]
