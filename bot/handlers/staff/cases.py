"""The duty team's side of a case, in its queue's staff group: the card's buttons, and the
messages of a topic (or of a card's replies) relayed to the family."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import case as cd
from bot.dialogs.onboarding import unprompted
from bot.handlers.fallback import message_content
from bot.services import cases
from bot.services.queues import Queues
from db.models import HelpRequest, Person

logger = logging.getLogger(__name__)


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


async def on_take(
    query: CallbackQuery,
    callback_data: cd.CaseCb,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    queues: Queues,
    settings: Settings,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _case_of_card(query, callback_data, session)
    if request is None or person is None:
        callback_answer.text, callback_answer.show_alert = cd.not_allowed_text(), True
        return
    try:
        taken = await cases.take(session, request.id, person)
    except cases.NotAllowed:
        callback_answer.text, callback_answer.show_alert = cd.not_allowed_text(), True
        return
    holder = taken.by
    name = (holder.display_name if holder else None) or "—"
    if not taken.won:
        callback_answer.text, callback_answer.show_alert = cd.taken_by_other_text(name), True
        return
    callback_answer.text = cd.taken_text(name)
    await refresh(bot, taken.request, queues, settings.default_locale, holder)
    family = await cases.family_of(session, taken.request)
    if family is not None and family.is_active and family.telegram_id > 0:
        with i18n.use_locale(family.locale or settings.default_locale):
            text = unprompted(family, cd.specialist_took_text(person, taken.request.id))
        await relay.send_to_family(bot, session, family, text)


async def _case_of_card(
    query: CallbackQuery, callback_data: cd.CaseCb, session: AsyncSession
) -> HelpRequest | None:
    """The request of the card the button is on — a button pressed anywhere else (another
    chat, a forged id) finds none."""
    message = query.message
    if not isinstance(message, Message):
        return None
    try:
        request = await cases.get(session, callback_data.request)
    except cases.CaseNotFound:
        return None
    if (request.staff_chat_id, request.card_message_id) != (message.chat.id, message.message_id):
        return None
    return request


async def on_staff_message(
    message: Message,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
) -> None:
    thread = message.message_thread_id if message.is_topic_message else None
    reply = message.reply_to_message.message_id if message.reply_to_message else None
    request = await cases.of_staff_message(session, message.chat.id, thread, reply)
    if request is None or not await cases.may_work(session, person, request):
        return  # not a case, or not a member of the team: the bot stays quiet
    assert person is not None
    kind, text, file_id = message_content(message)
    row = cases.keep_staff_message(
        session, request, person, content_type=kind, text=text, file_id=file_id,
        staff_message_id=message.message_id,
    )  # fmt: skip
    if text and text.startswith(cases.NOTE_PREFIX):
        return
    if not await relay.to_family(bot, i18n, session, request, person, row):
        await message.reply(cd.blocked_text())


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.callback_query.filter(F.message.chat.type.in_({"group", "supergroup"}))
    router.callback_query.register(on_take, cd.CaseCb.filter(F.action == cd.CaseAction.TAKE))
    router.message.register(on_staff_message, ~F.text.startswith("/"))
    return router
