"""Messages between a family and the specialist of their case, through the bot: the family's
words into the case's topic, the specialist's answer (signed with their first name and role,
never their account) into the family's chat — in discreet mode behind a neutral line."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, ReplyParameters
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogs import case as cd
from bot.dialogs.onboarding import unprompted
from bot.routing import send_media
from bot.services import cases, checkins, people
from bot.services.queues import Queues
from db.models import HelpRequest, Person, RequestMessage

logger = logging.getLogger(__name__)


async def to_staff(
    bot: Bot,
    i18n: I18n,
    staff_locale: str,
    request: HelpRequest,
    row: RequestMessage,
) -> None:
    """Show a family's message in the case's topic (or under its card); remembers where."""
    if request.staff_chat_id is None:
        return  # not placed yet: the routing work shows it with the card
    with i18n.context(), i18n.use_locale(staff_locale):
        if row.file_id:
            caption = cd.family_media_caption(row.text)
            row.staff_message_id = await send_media(
                bot, request.staff_chat_id, row.content_type, row.file_id, caption,
                thread_id=request.topic_thread_id, reply_to=request.card_message_id,
            )  # fmt: skip
            return
        for part in cd.parts(row.text or ""):
            sent = await bot.send_message(
                request.staff_chat_id,
                cd.family_message_text(part),
                message_thread_id=request.topic_thread_id,
                reply_parameters=under_card(request),
            )
            row.staff_message_id = row.staff_message_id or sent.message_id


def under_card(request: HelpRequest) -> ReplyParameters | None:
    if request.topic_thread_id is not None or request.card_message_id is None:
        return None  # a topic is thread enough
    return ReplyParameters(message_id=request.card_message_id, allow_sending_without_reply=True)


async def to_family(
    bot: Bot,
    i18n: I18n,
    session: AsyncSession,
    request: HelpRequest,
    author: Person,
    row: RequestMessage,
) -> bool:
    """Send a specialist's message to the family; False if the family blocked the bot."""
    family = await cases.family_of(session, request)
    if family is None or not people.reachable(family):
        return False
    with i18n.context(), i18n.use_locale(family.locale or i18n.default_locale):
        try:
            if row.file_id:
                caption = cd.to_family_caption(author, row.text)
                row.family_message_id = await send_media(
                    bot, family.telegram_id, row.content_type, row.file_id,
                    unprompted(family, caption),
                )  # fmt: skip
            else:
                for part in cd.parts(row.text or ""):
                    text = unprompted(family, cd.to_family_text(author, part))
                    sent = await bot.send_message(family.telegram_id, text)
                    row.family_message_id = row.family_message_id or sent.message_id
        except TelegramForbiddenError:
            people.mark_unreachable(family)
            await checkins.cancel_for(session, family.id)
            return False
    return True


async def send_to_family(
    bot: Bot,
    session: AsyncSession,
    family: Person,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """A notice to the family about their case; False (and no more messages) if blocked."""
    try:
        await bot.send_message(family.telegram_id, text, reply_markup=markup)
    except TelegramForbiddenError:
        people.mark_unreachable(family)
        await checkins.cancel_for(session, family.id)
        return False
    return True


async def edit_in_family(
    bot: Bot,
    i18n: I18n,
    session: AsyncSession,
    request: HelpRequest,
    author: Person,
    row: RequestMessage,
    text: str,
) -> None:
    """A specialist edited a message the family got: the family's copy follows."""
    family = await cases.family_of(session, request)
    if family is None or row.family_message_id is None or not people.reachable(family):
        return
    row.text = text
    with i18n.context(), i18n.use_locale(family.locale or i18n.default_locale):
        body = unprompted(family, cd.to_family_text(author, text))
    if row.file_id:
        await bot.edit_message_caption(
            chat_id=family.telegram_id, message_id=row.family_message_id, caption=body
        )
    else:
        await bot.edit_message_text(
            body, chat_id=family.telegram_id, message_id=row.family_message_id
        )


async def edit_in_staff(
    bot: Bot, i18n: I18n, staff_locale: str, request: HelpRequest, row: RequestMessage, text: str
) -> None:
    """The family edited a message the team got: the topic's copy follows."""
    if request.staff_chat_id is None or row.staff_message_id is None:
        return
    row.text = text
    with i18n.context(), i18n.use_locale(staff_locale):
        if row.file_id:
            await bot.edit_message_caption(
                chat_id=request.staff_chat_id, message_id=row.staff_message_id,
                caption=cd.family_media_caption(text),
            )  # fmt: skip
        else:
            await bot.edit_message_text(
                cd.family_message_text(text),
                chat_id=request.staff_chat_id, message_id=row.staff_message_id,
            )  # fmt: skip


async def note_in_case(
    bot: Bot, request: HelpRequest, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """A line from the bot in the case's topic (or under its card in a plain group)."""
    if request.staff_chat_id is None:
        return
    try:
        await bot.send_message(
            request.staff_chat_id,
            text,
            message_thread_id=request.topic_thread_id,
            reply_markup=markup,
            reply_parameters=under_card(request),
        )
    except TelegramBadRequest as exc:
        logger.info("could not write in a case: %s", exc.message)


async def refresh(
    bot: Bot, request: HelpRequest, queues: Queues, locale: str, holder: Person | None
) -> None:
    """The card and the topic's name follow the case's status."""
    queue = queues.get(request.queue_key or "")
    if request.staff_chat_id is None or request.card_message_id is None or queue is None:
        return
    if request.topic_thread_id is not None:
        try:
            await bot.edit_forum_topic(
                request.staff_chat_id,
                request.topic_thread_id,
                name=cd.topic_name(request, queue.short(locale), holder),
            )
        except TelegramBadRequest as exc:
            logger.info("topic name not changed: %s", exc.message)
    try:
        await bot.edit_message_reply_markup(
            chat_id=request.staff_chat_id,
            message_id=request.card_message_id,
            reply_markup=cd.card_keyboard(request),
        )
    except TelegramBadRequest as exc:
        logger.info("card not changed: %s", exc.message)
