"""«My requests» (/my): the family's requests, the history of one, adding to it, cancelling."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import case as cd
from bot.dialogs import onboarding as ob
from bot.dialogs import points as pd
from bot.dialogs import request as rq
from bot.dialogs.bursts import BurstGate
from bot.dialogs.ui import show
from bot.handlers.fallback import message_content
from bot.services import cases, requests
from bot.services.points import Points
from bot.services.red_flags import RedFlags
from db.models import HelpRequest, Person

Event = Message | CallbackQuery
HISTORY = 5  # messages shown under a request


async def show_list(event: Event, person: Person, state: FSMContext, session: AsyncSession) -> None:
    await state.clear()
    mine = await requests.of_person(session, person)
    await show(event, rq.my_list_text(mine), rq.my_list_keyboard(mine))


async def on_my(event: Event, person: Person, state: FSMContext, session: AsyncSession) -> None:
    await show_list(event, person, state, session)


async def _own(
    event: Event, person: Person, state: FSMContext, session: AsyncSession, number: int
) -> HelpRequest | None:
    """The person's own request, or the list with a word that it is not there."""
    try:
        return await requests.own(session, person, number)
    except requests.RequestNotFound:
        mine = await requests.of_person(session, person)
        await show(event, rq.request_not_found_text(), rq.my_list_keyboard(mine))
        return None


async def show_request(
    event: Event,
    request: HelpRequest,
    person: Person,
    session: AsyncSession,
    settings: Settings,
    points: Points,
    lead: str = "",
) -> None:
    history = await requests.history(session, request, HISTORY)
    locale = person.locale or "ru"
    about = pd.asked_line(points, request, locale)
    text = rq.my_request_text(request, history, person.timezone or settings.timezone, locale, about)
    await show(event, f"{lead}\n\n{text}" if lead else text, rq.my_request_keyboard(request))


async def on_my_button(
    query: CallbackQuery,
    callback_data: rq.MyCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    points: Points,
) -> None:
    action = callback_data.action
    if action is rq.MyAction.LIST:
        await show_list(query, person, state, session)
        return
    request = await _own(query, person, state, session, callback_data.request)
    if request is None:
        return
    await state.clear()
    if action is rq.MyAction.ADD and request.status in requests.OPEN:
        await state.set_state(rq.MyRequests.adding)
        await state.update_data(request=request.id)
        await show(query, rq.my_add_text(request.id), rq.my_add_keyboard(request.id))
    elif action is rq.MyAction.CANCEL and request.status in requests.OPEN:
        await show(query, rq.cancel_text(request.id), rq.cancel_keyboard(request.id))
    else:  # OPEN, or a button of a request closed meanwhile
        await show_request(query, request, person, session, settings, points)


async def on_cancel(
    query: CallbackQuery,
    callback_data: rq.MyCancelCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    points: Points,
) -> None:
    request = await _own(query, person, state, session, callback_data.request)
    if request is None:
        return
    try:
        await requests.cancel(session, person, request, callback_data.reason)
    except requests.RequestClosed:
        await show_request(
            query, request, person, session, settings, points, rq.request_closed_text()
        )
        return
    await show(query, rq.cancelled_text(request.id), rq.submitted_keyboard())


async def on_add_done(
    query: CallbackQuery,
    callback_data: rq.MyAddDoneCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    points: Points,
) -> None:
    await state.clear()
    request = await _own(query, person, state, session, callback_data.request)
    if request is not None:
        await show_request(query, request, person, session, settings, points)


async def on_add_message(
    message: Message,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    points: Points,
    bursts: BurstGate,
    red_flags: RedFlags,
    bot: Bot,
    i18n: I18n,
    chat_backlog: int = 0,
) -> None:
    number = int((await state.get_data()).get("request") or 0)
    request = await _own(message, person, state, session, number)
    if request is None:
        await state.clear()
        return
    kind, text, file_id = message_content(message)
    try:
        row = await requests.add_message(
            session, person, request,
            content_type=kind, text=text, file_id=file_id, message_id=message.message_id,
        )  # fmt: skip
    except requests.RequestClosed:
        await state.clear()
        await show_request(
            message, request, person, session, settings, points, rq.request_closed_text()
        )
        return
    await relay.to_staff(bot, i18n, settings.default_locale, request, row)
    flags = red_flags.find(text) if text else []
    gate = "red_flag" if flags else kind
    if not bursts.should_answer(message.chat.id, gate, f"my:{number}", chat_backlog):
        return
    reply = rq.my_added_text(request.id)
    if flags:
        reply = ob.cry_for_help_text(settings, reply)
    await message.answer(reply, reply_markup=rq.my_add_keyboard(request.id))


async def on_rate(
    query: CallbackQuery,
    callback_data: cd.RateCb,
    person: Person,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    try:
        await cases.rate(session, person, callback_data.request, callback_data.score)
    except cases.CaseNotFound:
        callback_answer.text = ob.stale_button_text()
        return
    await show(query, cd.rated_text(), ob.back_to_menu_keyboard())


def create_router() -> Router:
    router = Router(name=__name__)
    msg, cb = router.message.register, router.callback_query.register
    msg(on_my, Command("my"))
    cb(on_my, ob.MenuCb.filter(F.item == ob.MenuItem.MY))
    cb(on_my_button, rq.MyCb.filter())
    cb(on_cancel, rq.MyCancelCb.filter())
    cb(on_add_done, rq.MyAddDoneCb.filter())
    msg(on_add_message, rq.MyRequests.adding, ~F.text.startswith("/"))
    cb(on_rate, cd.RateCb.filter())
    return router
