"""Every callback query is answered, and none acts unless its button is really on screen.

Telegram warns that a callback's data need not match any button of its message: a client can
send anything. So a callback counts only if (1) its data is a button of the message's
*current* keyboard, which Telegram itself reports with the query, and (2) the button belongs
to the step the person is at now (`bot/dialogs/callbacks.py`). Anything else is marked
`callback_stale`, and the stale-button handler, first in the router tree, takes it.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject
from aiogram.utils.callback_answer import CallbackAnswer

from bot.dialogs.callbacks import allowed_in
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


def on_keyboard(data: str | None, markup: InlineKeyboardMarkup | None) -> bool:
    if data is None or markup is None:
        return False
    return any(button.callback_data == data for row in markup.inline_keyboard for button in row)


class CallbackGuard(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, CallbackQuery):
            message = event.message
            genuine = isinstance(message, Message) and on_keyboard(event.data, message.reply_markup)
            data["callback_stale"] = not (
                genuine and allowed_in(event.data or "", data.get("raw_state"))
            )
            if data["callback_stale"]:
                logger.info("callback query %s refused: not a current button", event.id)
        return await handler(event, data)
