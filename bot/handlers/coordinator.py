"""Coordinators' broadcasts (/broadcast, /broadcasts): compose, preview exactly as families
will see it, send now or at a time, follow the progress, stop."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcaster import Broadcaster
from bot.config import Settings
from bot.dialogs import broadcast as bd
from bot.dialogs.checkin import local_time
from bot.dialogs.ui import show
from bot.services import broadcasts, people, reminders
from bot.services.broadcasts import Segment
from bot.services.regions import Regions
from db.base import utcnow
from db.models import Broadcast, Person, Role
from db.repositories import BroadcastsRepo

LEADS = (Role.COORDINATOR, Role.ADMIN)
MAX_TEXT, MAX_CAPTION = 3500, 1000
Flow = bd.Compose


async def on_broadcast(message: Message, person: Person, state: FSMContext) -> None:
    if person.role not in LEADS:
        await message.answer(bd.not_allowed_text())
        return
    await state.set_state(Flow.text)
    await state.set_data({})
    await message.answer(bd.ask_text(), reply_markup=bd.skip_keyboard())


def _source(message: Message) -> str:
    """The text as HTML: Telegram's own formatting if the coordinator used it, else what
    they typed (tags written by hand)."""
    return message.html_text if message.entities else (message.text or "")


async def _take_text(message: Message, state: FSMContext, key: str) -> bool:
    text = _source(message)
    data = await state.get_data()
    limit = MAX_CAPTION if data.get("media_file_id") else MAX_TEXT
    problem = broadcasts.html_problem(text) if text else "empty"
    if problem:
        await message.answer(bd.html_error_text(problem), reply_markup=bd.skip_keyboard())
        return False
    if len(text) > limit:
        await message.answer(bd.too_long_text(limit), reply_markup=bd.skip_keyboard())
        return False
    await state.update_data({key: text})
    return True


async def on_text(message: Message, state: FSMContext) -> None:
    if await _take_text(message, state, "text"):
        await state.set_state(Flow.media)
        await message.answer(bd.ask_media(), reply_markup=bd.skip_keyboard())


async def on_media(message: Message, state: FSMContext) -> None:
    if message.photo:
        kind, file_id = "photo", message.photo[-1].file_id
    elif message.document:
        kind, file_id = "document", message.document.file_id
    else:
        await message.answer(bd.ask_media(), reply_markup=bd.skip_keyboard())
        return
    if len((await state.get_data()).get("text", "")) > MAX_CAPTION:
        await message.answer(bd.too_long_text(MAX_CAPTION), reply_markup=bd.skip_keyboard())
        return
    await state.update_data(media_kind=kind, media_file_id=file_id)
    await state.set_state(Flow.text_en)
    await message.answer(bd.ask_text_en(), reply_markup=bd.skip_keyboard())


async def on_text_en(message: Message, state: FSMContext) -> None:
    if await _take_text(message, state, "text_en"):
        await state.set_state(Flow.button)
        await message.answer(bd.ask_button(), reply_markup=bd.skip_keyboard())


async def on_button(
    message: Message, person: Person, state: FSMContext, session: AsyncSession, regions: Regions
) -> None:
    title, _sep, url = (message.text or "").partition("|")
    title, url = title.strip(), url.strip()
    if not title or len(title) > 60 or not url.startswith(("https://", "http://")):
        await message.answer(bd.bad_button_text(), reply_markup=bd.skip_keyboard())
        return
    await state.update_data(button_text=title, button_url=url)
    await _audience(message, person, state, session, regions)


async def _audience(
    event: Message | CallbackQuery,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    regions: Regions,
) -> None:
    await state.set_state(Flow.audience)
    segment = Segment.from_json((await state.get_data()).get("segment"))
    count = len(await broadcasts.audience(session, segment))
    markup = bd.audience_keyboard(segment, regions, person.locale or "ru")
    await show(event, bd.audience_text(count), markup)


async def on_toggle(
    query: CallbackQuery,
    callback_data: bd.AudienceCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    regions: Regions,
) -> None:
    segment = Segment.from_json((await state.get_data()).get("segment"))
    if callback_data.kind in ("regions", "ages", "locales"):
        segment.toggle(callback_data.kind, callback_data.value)
    await state.update_data(segment=segment.to_json())
    await _audience(query, person, state, session, regions)


async def on_action(
    query: CallbackQuery,
    callback_data: bd.ComposeCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    regions: Regions,
    bot: Bot,
    settings: Settings,
    broadcaster: Broadcaster,
    i18n: I18n,
) -> None:
    action, current = callback_data.action, await state.get_state()
    if action is bd.ComposeAction.CANCEL or person.role not in LEADS:
        await state.clear()
        await show(query, bd.cancelled_text())
    elif action is bd.ComposeAction.SKIP:
        await _skip(query, person, state, session, regions, current)
    elif action is bd.ComposeAction.PREVIEW:
        await _preview(query, person, state, session, bot)
    elif action is bd.ComposeAction.SEND:
        await _start(query, person, state, session, bot, i18n, None)
        await session.commit()  # durable before the sender, in a task of its own, reads it
        broadcaster.nudge()
    elif action is bd.ComposeAction.SCHEDULE:
        await state.set_state(Flow.schedule)
        await show(query, bd.ask_schedule(), bd.skip_keyboard())


async def _skip(
    query: CallbackQuery,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    regions: Regions,
    current: str | None,
) -> None:
    if current == Flow.text.state:  # the Russian text cannot be skipped
        await show(query, bd.ask_text(), bd.skip_keyboard())
    elif current == Flow.media.state:
        await state.set_state(Flow.text_en)
        await show(query, bd.ask_text_en(), bd.skip_keyboard())
    elif current == Flow.text_en.state:
        await state.set_state(Flow.button)
        await show(query, bd.ask_button(), bd.skip_keyboard())
    else:
        await _audience(query, person, state, session, regions)


async def _preview(
    query: CallbackQuery, person: Person, state: FSMContext, session: AsyncSession, bot: Bot
) -> None:
    data = await state.get_data()
    draft = Broadcast(**{k: data.get(k) for k in bd.DRAFT_FIELDS})
    try:
        if draft.media_kind == "photo" and draft.media_file_id:
            await bot.send_photo(query.from_user.id, draft.media_file_id, caption=draft.text,
                                 reply_markup=bd.delivered_keyboard(draft))  # fmt: skip
        elif draft.media_kind == "document" and draft.media_file_id:
            await bot.send_document(query.from_user.id, draft.media_file_id, caption=draft.text,
                                    reply_markup=bd.delivered_keyboard(draft))  # fmt: skip
        else:
            await bot.send_message(
                query.from_user.id, draft.text, reply_markup=bd.delivered_keyboard(draft)
            )
    except TelegramBadRequest as exc:  # Telegram's own check of the HTML
        await state.set_state(Flow.text)
        await bot.send_message(query.from_user.id, bd.html_error_text(exc.message))
        return
    await state.set_state(Flow.review)
    count = len(await broadcasts.audience(session, Segment.from_json(data.get("segment"))))
    await bot.send_message(
        query.from_user.id, bd.review_text(count), reply_markup=bd.review_keyboard()
    )


async def _start(
    event: Message | CallbackQuery,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    at: tuple[datetime, str] | None,
) -> None:
    data = await state.get_data()
    await state.clear()
    if person.locale is None:  # the progress, edited later, speaks the composer's language
        people.set_locale(person, i18n.current_locale)
    broadcast = await broadcasts.create(session, person, data)
    count = await broadcasts.start(session, broadcast, person, at[0] if at else None)
    chat_id = event.from_user.id if event.from_user else 0
    if at is not None:
        await bot.send_message(chat_id, bd.scheduled_text(at[1], count))
    progress = await bot.send_message(
        chat_id,
        bd.progress_text(broadcast, await broadcasts.progress(session, broadcast), 0, False),
        reply_markup=bd.progress_keyboard(broadcast.id),
    )
    broadcast.progress_chat_id, broadcast.progress_message_id = chat_id, progress.message_id


async def on_schedule(
    message: Message,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    i18n: I18n,
) -> None:
    tz = person.timezone or settings.timezone
    parsed = reminders.parse_when(message.text or "", utcnow(), tz)
    if parsed is None:
        await message.answer(bd.bad_time_text(), reply_markup=bd.skip_keyboard())
        return
    when = parsed[0]
    shown = local_time(when, tz, person.locale or i18n.current_locale)
    await _start(message, person, state, session, bot, i18n, (when, shown))


async def on_stop(
    query: CallbackQuery,
    callback_data: bd.StopCb,
    person: Person,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    broadcast = await BroadcastsRepo(session).get(callback_data.broadcast)
    if broadcast is None or person.role not in LEADS:
        callback_answer.text = bd.not_allowed_text()
        return
    await broadcasts.cancel(session, broadcast, person)
    figures = await broadcasts.progress(session, broadcast)
    await show(query, bd.progress_text(broadcast, figures, 0, False))


async def on_list(message: Message, person: Person, session: AsyncSession) -> None:
    if person.role not in LEADS:
        await message.answer(bd.not_allowed_text())
        return
    recent = await BroadcastsRepo(session).recent(10)
    items = [(b, await broadcasts.progress(session, b)) for b in recent]
    await message.answer(bd.list_text(items))


async def on_unsubscribe(
    query: CallbackQuery, person: Person, session: AsyncSession, callback_answer: CallbackAnswer
) -> None:
    broadcasts.unsubscribe(session, person)
    callback_answer.text = bd.unsubscribed_text()
    callback_answer.show_alert = True


async def on_compose_input(message: Message) -> None:
    """Something else at a step of the composer (a sticker where text is expected)."""
    await message.answer(bd.ask_again_text(), reply_markup=bd.skip_keyboard())


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    msg, cb = router.message.register, router.callback_query.register
    msg(on_broadcast, Command("broadcast"))
    msg(on_list, Command("broadcasts"))
    not_command = ~F.text.startswith("/")
    msg(on_text, Flow.text, F.text, not_command)
    msg(on_media, Flow.media, not_command)
    msg(on_text_en, Flow.text_en, F.text, not_command)
    msg(on_button, Flow.button, F.text, not_command)
    msg(on_schedule, Flow.schedule, F.text, not_command)
    msg(on_compose_input, Flow.text, not_command)
    msg(on_compose_input, Flow.text_en, not_command)
    msg(on_compose_input, Flow.button, not_command)
    cb(on_toggle, bd.AudienceCb.filter())
    cb(on_action, bd.ComposeCb.filter())
    cb(on_stop, bd.StopCb.filter())
    cb(on_unsubscribe, bd.UnsubscribeCb.filter())
    return router
