"""Showing a screen: edit the message a button was pressed on, or send a new one."""

from __future__ import annotations

import logging

from aiogram import Bot
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


async def delete_messages(bot: Bot, chat_id: int, ids: list[int]) -> None:
    """Delete what Telegram allows, 100 at a time; a batch it refuses (one message turned
    too old, say) is retried one by one, so the rest still go."""
    for start in range(0, len(ids), 100):
        batch = ids[start : start + 100]
        try:
            await bot.delete_messages(chat_id, batch)
        except TelegramBadRequest:
            for message_id in batch:
                try:
                    await bot.delete_message(chat_id, message_id)
                except TelegramBadRequest as exc:
                    logger.info("could not delete a message: %s", exc.message)
