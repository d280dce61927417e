"""The duty team's side of a case, in its queue's staff group: the card's buttons, and the
messages of a topic (or of a card's replies) relayed to the family."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import case as cd
from bot.dialogs import checkin as ck
from bot.dialogs.onboarding import unprompted
from bot.dialogs.ui import show
from bot.handlers.fallback import message_content
from bot.services import cases, checkins, people, reminders
from bot.services.checkins import CheckIns
from bot.services.queues import Queues
from bot.services.templates import Templates
from bot.work import WorkRunner
from db.base import utcnow
from db.models import HelpRequest, MessageDirection, Person

logger = logging.getLogger(__name__)
# What a specialist may send the family through the bot.
RELAYED = frozenset({"text", "photo", "document", "voice", "video", "audio"})


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
    await relay.refresh(bot, taken.request, queues, settings.default_locale, holder)
    number = taken.request.id
    await _tell_family(
        bot, session, i18n, settings, taken.request,
        lambda _family: cd.specialist_took_text(person, number),
    )  # fmt: skip


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
    request = await _case_of_message(message, session)
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
    if request.status not in cases.OPEN:
        await message.reply(cd.case_closed_text())
        return
    if not await relay.to_family(bot, i18n, session, request, person, row):
        await message.reply(cd.blocked_text())


async def _followup(
    query: CallbackQuery,
    request_id: int,
    person: Person | None,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> HelpRequest | None:
    """The case a follow-up button (close, transfer, priority) is about: only in the case's
    own group, only for those who may work it."""
    try:
        request = await cases.get(session, request_id)
    except cases.CaseNotFound:
        request = None
    message = query.message
    if (
        request is None
        or not isinstance(message, Message)
        or message.chat.id != request.staff_chat_id
        or not await cases.may_work(session, person, request)
    ):
        callback_answer.text, callback_answer.show_alert = cd.not_allowed_text(), True
        return None
    return request


async def on_card_action(
    query: CallbackQuery,
    callback_data: cd.CaseCb,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    queues: Queues,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _case_of_card(query, callback_data, session)
    if request is None or not await cases.may_work(session, person, request):
        callback_answer.text, callback_answer.show_alert = cd.not_allowed_text(), True
        return
    locale = (person.locale if person else None) or "ru"
    if callback_data.action is cd.CaseAction.CLOSE:
        await relay.note_in_case(
            bot, request, cd.close_text(request.id), cd.close_keyboard(request.id)
        )
    elif callback_data.action is cd.CaseAction.PRIORITY:
        await relay.note_in_case(
            bot, request, cd.priority_text(request.id), cd.priority_keyboard(request.id)
        )
    else:
        others = [(q.key, q.name(locale)) for q in queues.items if q.key != request.queue_key]
        await relay.note_in_case(
            bot, request, cd.transfer_text(request.id), cd.transfer_keyboard(request.id, others)
        )


async def on_close_outcome(
    query: CallbackQuery,
    callback_data: cd.CloseCb,
    person: Person | None,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _followup(query, callback_data.request, person, session, callback_answer)
    if request is not None:
        await show(
            query, cd.child_text(request.id), cd.child_keyboard(request.id, callback_data.outcome)
        )


async def on_close_child(
    query: CallbackQuery,
    callback_data: cd.ChildCb,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    queues: Queues,
    settings: Settings,
    i18n: I18n,
    checkin_plans: CheckIns,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _followup(query, callback_data.request, person, session, callback_answer)
    if request is None or person is None:
        return
    try:
        await cases.close(session, request, person, callback_data.outcome, callback_data.child)
    except cases.CaseClosed:
        callback_answer.text = cd.case_closed_text()
        return
    name = person.display_name or "—"
    await show(
        query, cd.closed_card_note(request.id, callback_data.outcome, callback_data.child, name)
    )
    await relay.refresh(bot, request, queues, settings.default_locale, person)
    family = await cases.family_of(session, request)
    if family is not None:
        tz = family.timezone or settings.timezone
        await checkins.schedule(session, request, family, checkin_plans, tz)
    number, outcome = request.id, callback_data.outcome
    await _tell_family(
        bot, session, i18n, settings, request,
        lambda _family: f"{cd.family_closed_text(number, outcome)}\n\n{cd.rate_text()}",
        lambda: cd.rate_keyboard(number),
    )  # fmt: skip


async def on_reopen(
    query: CallbackQuery,
    callback_data: cd.ReopenCb,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    queues: Queues,
    settings: Settings,
    i18n: I18n,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _followup(query, callback_data.request, person, session, callback_answer)
    if request is None or person is None:
        return
    try:
        await cases.reopen(session, request, person)
    except cases.CaseClosed:
        return
    holder = await cases.holder_of(session, request)
    await relay.refresh(bot, request, queues, settings.default_locale, holder)
    await relay.note_in_case(bot, request, cd.reopened_note(request.id, person.display_name or "—"))
    number = request.id
    await _tell_family(
        bot, session, i18n, settings, request, lambda _family: cd.family_reopened_text(number)
    )


async def _tell_family(
    bot: Bot,
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    request: HelpRequest,
    words: Callable[[Person], str],
    markup: Callable[[], InlineKeyboardMarkup] | None = None,
) -> None:
    """Tell the family of a step of their case, in their own language (and discreetly)."""
    family = await cases.family_of(session, request)
    if family is None or not people.reachable(family):
        return
    with i18n.use_locale(family.locale or settings.default_locale):
        text = unprompted(family, words(family))
        keyboard = markup() if markup is not None else None
    await relay.send_to_family(bot, session, family, text, keyboard)


async def on_transfer(
    query: CallbackQuery,
    callback_data: cd.TransferCb,
    person: Person | None,
    session: AsyncSession,
    queues: Queues,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _followup(query, callback_data.request, person, session, callback_answer)
    queue = queues.get(callback_data.queue)
    if request is None or queue is None:
        return
    locale = (person.locale if person else None) or "ru"
    await show(
        query,
        cd.transfer_why_text(request.id, queue.name(locale)),
        cd.transfer_why_keyboard(request.id, queue.key),
    )


async def on_transfer_why(
    query: CallbackQuery,
    callback_data: cd.TransferWhyCb,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    queues: Queues,
    settings: Settings,
    i18n: I18n,
    work: WorkRunner,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _followup(query, callback_data.request, person, session, callback_answer)
    queue = queues.get(callback_data.queue)
    if request is None or queue is None or person is None:
        return
    old_chat, old_card = request.staff_chat_id, request.card_message_id
    try:
        await cases.transfer(session, request, person, queue.key, callback_data.reason)
    except cases.CaseClosed:
        callback_answer.text = cd.case_closed_text()
        return
    note = cd.transferred_note(
        request.id, queue.name(settings.default_locale), callback_data.reason,
        person.display_name or "—",
    )  # fmt: skip
    await show(query, note)
    if old_chat is not None and old_card is not None:
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=old_chat, message_id=old_card)
    number = request.id
    await _tell_family(
        bot, session, i18n, settings, request,
        lambda family: cd.family_transferred_text(number, queue.name(family.locale or "ru")),
    )  # fmt: skip
    work.nudge()


async def on_priority(
    query: CallbackQuery,
    callback_data: cd.PriorityCb,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    queues: Queues,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _followup(query, callback_data.request, person, session, callback_answer)
    if request is None or person is None:
        return
    try:
        await cases.set_priority(session, request, person, callback_data.priority)
    except cases.CaseClosed:
        callback_answer.text = cd.case_closed_text()
        return
    await show(
        query, cd.priority_note(request.id, callback_data.priority, person.display_name or "—")
    )
    await relay.refresh(
        bot, request, queues, settings.default_locale, await cases.holder_of(session, request)
    )


async def on_templates(
    message: Message,
    person: Person | None,
    session: AsyncSession,
    templates: Templates,
) -> None:
    request = await _case_of_message(message, session)
    if request is None or not await cases.may_work(session, person, request):
        await message.reply(cd.no_case_here_text())
        return
    locale = (person.locale if person else None) or "ru"
    offered = [(t.key, t.title(locale)) for t in templates.for_queue(request.queue_key or "")]
    await message.reply(
        cd.templates_text(request.id), reply_markup=cd.templates_keyboard(request.id, offered)
    )


async def on_template(
    query: CallbackQuery,
    callback_data: cd.TemplateCb,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    queues: Queues,
    templates: Templates,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _followup(query, callback_data.request, person, session, callback_answer)
    template = templates.get(callback_data.key)
    if request is None or person is None or template is None:
        return
    if request.status not in cases.OPEN:
        callback_answer.text = cd.case_closed_text()
        return
    family = await cases.family_of(session, request)
    locale = (family.locale if family else None) or "ru"
    queue = queues.get(request.queue_key or "")
    text = template.render(
        locale,
        specialist=person.display_name or "",
        number=request.id,
        queue=queue.name(locale) if queue else "",
    )
    assert isinstance(query.message, Message)
    row = cases.keep_staff_message(
        session, request, person, content_type="text", text=text, file_id=None,
        staff_message_id=query.message.message_id,
    )  # fmt: skip
    await show(query, cd.template_sent_text(text))
    if not await relay.to_family(bot, i18n, session, request, person, row):
        await relay.note_in_case(bot, request, cd.blocked_text())


async def _case_of_message(message: Message, session: AsyncSession) -> HelpRequest | None:
    thread = message.message_thread_id if message.is_topic_message else None
    reply = message.reply_to_message.message_id if message.reply_to_message else None
    return await cases.of_staff_message(session, message.chat.id, thread, reply)


async def on_staff_edit(
    message: Message,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
) -> None:
    request = await _case_of_message(message, session)
    if request is None or person is None or not await cases.may_work(session, person, request):
        return
    row = await cases.message_of(session, request, staff_message_id=message.message_id)
    text = message.text or message.caption
    if row is None or text is None or row.direction is not MessageDirection.TO_FAMILY:
        return
    with suppress(TelegramBadRequest):  # too old to edit, or the family deleted it
        await relay.edit_in_family(bot, i18n, session, request, person, row, text)


async def on_remind(
    message: Message,
    command: CommandObject,
    person: Person | None,
    session: AsyncSession,
    queues: Queues,
    settings: Settings,
) -> None:
    request = await _case_of_message(message, session)
    if request is None or person is None or not await cases.may_work(session, person, request):
        await message.reply(ck.remind_usage_text())
        return
    queue = queues.get(request.queue_key or "")
    tz = person.timezone or (queue.timezone if queue else settings.timezone)
    parsed = reminders.parse_when(command.args or "", utcnow(), tz)
    if parsed is None:
        await message.reply(ck.remind_usage_text())
        return
    when, note = parsed
    shown = ck.local_time(when, tz, person.locale or settings.default_locale)
    reminders.remind(session, person, request, when, shown, note)
    await message.reply(ck.remind_set_text(shown))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.callback_query.filter(F.message.chat.type.in_({"group", "supergroup"}))
    cb = router.callback_query.register
    cb(on_take, cd.CaseCb.filter(F.action == cd.CaseAction.TAKE))
    cb(on_card_action, cd.CaseCb.filter())
    cb(on_close_outcome, cd.CloseCb.filter())
    cb(on_close_child, cd.ChildCb.filter())
    cb(on_reopen, cd.ReopenCb.filter())
    cb(on_transfer, cd.TransferCb.filter())
    cb(on_transfer_why, cd.TransferWhyCb.filter())
    cb(on_priority, cd.PriorityCb.filter())
    cb(on_template, cd.TemplateCb.filter())
    router.message.register(on_templates, Command("t"))
    router.message.register(on_remind, Command("remind"))
    # A command starts with one slash; a note (//) is a message of the case like any other.
    not_command = ~F.text.regexp(r"^/(?!/)")
    router.message.register(on_staff_message, not_command, F.content_type.in_(RELAYED))
    router.edited_message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.edited_message.register(on_staff_edit)
    return router
