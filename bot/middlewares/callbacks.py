from __future__ import annotations

import logging
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer

from bot.middlewares.db import Handler

logger = logging.getLogger(__name__)


class AlwaysAnswerCallbacks(BaseMiddleware):
    """Answers every callback query after its handler, so the client stops spinning.

    Handlers may set `callback_answer.text` / `.show_alert`. A query re-delivered after a
    restart may be too old to answer; that must not mask the handler's own outcome.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        answer = data["callback_answer"] = CallbackAnswer(answered=False)
        try:
            return await handler(event, data)
        finally:
            if not answer.disabled:
                try:
                    await event.answer(text=answer.text, show_alert=answer.show_alert)
                except TelegramBadRequest as exc:
                    logger.info("callback query could not be answered: %s", exc.message)
