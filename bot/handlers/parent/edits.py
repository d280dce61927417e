"""A family edits a message the team already has: the topic's copy follows."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.services import cases
from db.models import Person


async def on_family_edit(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
) -> None:
    found = await cases.family_message(session, person, message.message_id)
    text = message.text or message.caption
    if found is None or text is None:
        return  # nothing the team has: an edit of the bot's own chat needs no answer
    request, row = found
    with suppress(TelegramBadRequest):
        await relay.edit_in_staff(bot, i18n, settings.default_locale, request, row, text)


def create_router() -> Router:
    router = Router(name=__name__)
    router.edited_message.register(on_family_edit, F.chat.type == "private")
    return router
