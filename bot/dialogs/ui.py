"""Showing a screen: edit the message a button was pressed on, or send a new one."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

logger = logging.getLogger(__name__)


async def show(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    if isinstance(event, CallbackQuery):
        if isinstance(event.message, Message):
            try:
                await event.message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest as exc:
                if "message is not modified" in exc.message:
                    return
                # Too old, deleted or otherwise not editable: a fresh message still works.
                logger.info("could not edit a screen, sending anew: %s", exc.message)
        chat_id = event.message.chat.id if event.message is not None else event.from_user.id
        assert event.bot is not None  # updates from the dispatcher always carry their bot
        await event.bot.send_message(chat_id, text, reply_markup=markup)
        return
    await event.answer(text, reply_markup=markup)
