"""The help request, step by step: category → story → how soon → contact (→ phone → time)
→ review → sent. Every step is saved in the draft at once, so nothing entered is lost."""

from __future__ import annotations

from contextlib import suppress

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dialogs import onboarding as ob
from bot.dialogs import request as rq
from bot.dialogs.bursts import BurstGate
from bot.dialogs.ui import show
from bot.handlers.common import home
from bot.handlers.fallback import message_content
from bot.services import family_messages, people, requests
from bot.services.queues import Queues
from bot.services.red_flags import RedFlags
from bot.services.regions import Regions
from bot.services.requests import RequestDraft
from bot.work import WorkRunner
from db.models import ContactMethod, Person, Urgency

Event = Message | CallbackQuery
Flow = rq.RequestFlow
ORDER = (Flow.category, Flow.story, Flow.urgency, Flow.contact, Flow.phone, Flow.time, Flow.review)
FILES = frozenset({"photo", "document", "voice"})


def _applies(step: State, draft: RequestDraft) -> bool:
    if step is Flow.phone:
        return draft.contact is ContactMethod.CALL
    if step is Flow.time:
        return draft.needs_time
    return True


def step_after(step: State, draft: RequestDraft) -> State:
    if draft.reviewing and draft.complete and step is not Flow.contact:
        return Flow.review
    later = ORDER[ORDER.index(step) + 1 :] if step in ORDER else ORDER
    return next(s for s in later if _applies(s, draft))


def step_before(step: State, draft: RequestDraft) -> State | None:
    earlier = ORDER[: ORDER.index(step)] if step in ORDER else ()
    return next((s for s in reversed(earlier) if _applies(s, draft)), None)


def current_step(draft: RequestDraft) -> State:
    step = next((s for s in ORDER if s.state == draft.step), None)
    if step is None or (step is not Flow.category and draft.category is None):
        return Flow.category
    return step


def screen(step: State, draft: RequestDraft, person: Person) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of an inline step (the phone step has a keyboard of its own)."""
    if step is Flow.category:
        return rq.category_text(), rq.category_keyboard()
    if step is Flow.story:
        return rq.story_text(draft), rq.story_keyboard(draft)
    if step is Flow.urgency:
        return rq.urgency_text(), rq.urgency_keyboard()
    if step is Flow.contact:
        return rq.contact_text(), rq.contact_keyboard()
    if step is Flow.phone:  # only with a number already shared: asks to confirm it
        return rq.phone_known_text(person.phone or ""), rq.phone_known_keyboard()
    if step is Flow.time:
        return rq.time_text(), rq.time_keyboard()
    return rq.review_text(draft, person.phone), rq.review_keyboard()


async def go(
    event: Event,
    step: State,
    draft: RequestDraft,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    lead: str = "",
) -> None:
    """Save the draft at `step` and show that step."""
    if step is Flow.review:
        draft.reviewing = True
    draft.step = step.state
    await requests.save_draft(session, person, draft)
    await state.set_state(step)
    if step is Flow.phone and not person.phone:
        chat_id = event.chat.id if isinstance(event, Message) else event.from_user.id
        assert event.bot is not None
        text = f"{lead}\n\n{rq.phone_text()}" if lead else rq.phone_text()
        await event.bot.send_message(chat_id, text, reply_markup=rq.phone_keyboard())
        return
    text, markup = screen(step, draft, person)
    await show(event, f"{lead}\n\n{text}" if lead else text, markup)


async def start_request(
    event: Event,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    *,
    prefill: rq.ReqStartCb | None = None,
) -> None:
    """The one way into the flow: continues the draft there is, or begins one."""
    draft = await requests.load_draft(session, person) or RequestDraft()
    if prefill is not None:
        draft.category = prefill.kind
        if prefill.assessment:
            draft.assessment_id = prefill.assessment
        if prefill.urgent:
            draft.urgency = Urgency.EMERGENCY
        if draft.step in (None, Flow.category.state):
            draft.step = (Flow.contact if prefill.urgent else Flow.story).state
    await go(event, current_step(draft), draft, person, state, session)


async def on_request(
    event: Event, person: Person, state: FSMContext, session: AsyncSession
) -> None:
    await start_request(event, person, state, session)


async def on_prefilled(
    query: CallbackQuery,
    callback_data: rq.ReqStartCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    await start_request(query, person, state, session, prefill=callback_data)


async def _draft(session: AsyncSession, person: Person) -> RequestDraft:
    return await requests.load_draft(session, person) or RequestDraft()


async def on_category(
    query: CallbackQuery,
    callback_data: rq.ReqKindCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    draft = await _draft(session, person)
    draft.category = callback_data.kind
    await go(query, step_after(Flow.category, draft), draft, person, state, session)


async def on_story_message(
    message: Message,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    bursts: BurstGate,
    red_flags: RedFlags,
    chat_backlog: int = 0,
) -> None:
    draft = await _draft(session, person)
    kind, text, file_id = message_content(message)
    refusal = ""
    flags: list[str] = []
    try:
        if kind in FILES and file_id is not None:
            draft.add_file(kind, file_id, message.message_id)
            if text:  # a caption is part of the story too
                draft.add_text(text)
        elif kind == "text" and text:
            draft.add_text(text)
        else:
            refusal = rq.hint_story()
        flags = red_flags.find(text) if text else []
        draft.raise_flags(flags)
    except requests.StoryTooLong as exc:
        refusal = rq.story_too_long_text(exc.total)
    except requests.TooManyFiles as exc:
        refusal = rq.too_many_files_text(exc.kind)
    await requests.save_draft(session, person, draft)
    chat, step = message.chat.id, Flow.story.state
    if flags:
        reply = ob.cry_for_help_text(settings, rq.flagged_story_text())
        if not bursts.should_answer(chat, "red_flag", step):
            return
    elif refusal:
        if not bursts.should_answer(chat, f"refused:{kind}", step):
            return
        reply = f"{refusal}\n\n{rq.story_status(draft)}"
    else:
        if not bursts.should_answer(chat, f"story:{kind}", step, chat_backlog):
            return
        reply = rq.story_status(draft)
    await message.answer(reply, reply_markup=rq.story_keyboard(draft))


async def on_step_button(
    query: CallbackQuery,
    callback_data: rq.ReqCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    regions: Regions,
    settings: Settings,
    queues: Queues,
    work: WorkRunner,
) -> None:
    draft = await _draft(session, person)
    here = current_step(draft)
    action = rq.ReqAction
    match callback_data.action:
        case action.NEXT:
            await go(query, step_after(here, draft), draft, person, state, session)
        case action.BACK:
            before = step_before(here, draft)
            if before is None:
                await home(query, person, state, regions, session)
            else:
                await go(query, before, draft, person, state, session)
        case action.CLEAR_STORY:
            draft.clear_story()
            await go(query, Flow.story, draft, person, state, session)
        case action.DISCARD:
            await requests.drop_draft(session, person)
            await state.clear()
            await show(query, rq.discarded_text(), ob.back_to_menu_keyboard())
        case action.SEND:
            await _send(query, draft, person, state, session, settings, queues, work)
        case _:
            edits = {
                action.EDIT_CATEGORY: Flow.category,
                action.EDIT_STORY: Flow.story,
                action.EDIT_URGENCY: Flow.urgency,
                action.EDIT_CONTACT: Flow.contact,
            }
            await go(query, edits[callback_data.action], draft, person, state, session)


async def _send(
    query: CallbackQuery,
    draft: RequestDraft,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    queues: Queues,
    work: WorkRunner,
) -> None:
    if not draft.complete:
        missing = next(s for s in ORDER if s is not Flow.review and _missing(s, draft))
        await go(query, missing, draft, person, state, session, lead=rq.incomplete_text())
        return
    request = await requests.submit(session, person, draft, queues)
    await state.clear()
    expectation = await requests.expectation(session, request, queues)
    text = rq.submitted_text(
        request,
        expectation,
        settings.emergency_phone,
        person.timezone or settings.timezone,
        person.locale or settings.default_locale,
    )
    await show(query, text, rq.submitted_keyboard())
    work.nudge()  # committed before the reply: the request's topic opens now


def _missing(step: State, draft: RequestDraft) -> bool:
    values = {
        Flow.category: draft.category,
        Flow.urgency: draft.urgency,
        Flow.contact: draft.contact,
        Flow.time: draft.time if draft.needs_time else True,
    }
    return step in values and values[step] is None


async def on_urgency(
    query: CallbackQuery,
    callback_data: rq.ReqUrgencyCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
) -> None:
    draft = await _draft(session, person)
    draft.urgency = callback_data.level
    lead = ""
    if draft.urgency_now is Urgency.EMERGENCY:
        lead = ob.sos_lead(settings)
    await go(query, step_after(Flow.urgency, draft), draft, person, state, session, lead=lead)


async def on_contact(
    query: CallbackQuery,
    callback_data: rq.ReqContactCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    draft = await _draft(session, person)
    draft.contact = callback_data.method
    if not draft.needs_time:
        draft.time = None
    step = step_after(Flow.contact, draft)
    if step is Flow.time and draft.reviewing and draft.time is not None:
        step = Flow.review
    await go(query, step, draft, person, state, session)


async def on_phone_choice(
    query: CallbackQuery,
    callback_data: rq.ReqPhoneCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    draft = await _draft(session, person)
    if callback_data.keep:
        await go(query, step_after(Flow.phone, draft), draft, person, state, session)
        return
    assert query.bot is not None
    await query.bot.send_message(
        query.from_user.id, rq.phone_text(), reply_markup=rq.phone_keyboard()
    )


async def on_phone_shared(
    message: Message, person: Person, state: FSMContext, session: AsyncSession
) -> None:
    contact = message.contact
    assert contact is not None and message.from_user is not None
    if contact.user_id != message.from_user.id:
        await message.answer(rq.foreign_contact_text(), reply_markup=rq.phone_keyboard())
        return
    people.set_phone(session, person, contact.phone_number)
    await message.answer(rq.phone_saved_text(), reply_markup=ReplyKeyboardRemove())
    draft = await _draft(session, person)
    await go(message, step_after(Flow.phone, draft), draft, person, state, session)


async def on_phone_other_way(
    message: Message, person: Person, state: FSMContext, session: AsyncSession
) -> None:
    await message.answer(rq.contact_text(), reply_markup=ReplyKeyboardRemove())
    draft = await _draft(session, person)
    draft.contact = None
    await go(message, Flow.contact, draft, person, state, session)


async def on_phone_text(
    message: Message, person: Person, state: FSMContext, session: AsyncSession
) -> None:
    if message.text == rq.other_way_button():
        await on_phone_other_way(message, person, state, session)
        return
    await message.answer(rq.hint_phone(), reply_markup=rq.phone_keyboard())


async def on_time(
    query: CallbackQuery,
    callback_data: rq.ReqTimeCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    draft = await _draft(session, person)
    draft.time = callback_data.time
    await go(query, Flow.review, draft, person, state, session)


async def on_unexpected(
    message: Message,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    bursts: BurstGate,
    red_flags: RedFlags,
    chat_backlog: int = 0,
) -> None:
    """Something other than a button at a step that asks for one: the words are not lost
    (a cry for help joins the story and makes the request urgent), the step is shown again."""
    draft = await _draft(session, person)
    kind, text, file_id = message_content(message)
    flags = red_flags.find(text) if text else []
    step = current_step(draft)
    kept = False
    if flags:  # a cry for help joins the story, and makes the request urgent
        draft.raise_flags(flags)
        with suppress(requests.StoryTooLong):
            draft.add_text(text or "")
            kept = True
        await requests.save_draft(session, person, draft)
    if not kept:  # kept for the request all the same: it joins it when sent
        family_messages.keep_loose(
            session, person, content_type=kind, text=text, file_id=file_id,
            message_id=message.message_id,
        )  # fmt: skip
    gate_kind = "red_flag" if flags else kind
    if not bursts.should_answer(message.chat.id, gate_kind, step.state, chat_backlog):
        return
    body, markup = screen(step, draft, person)
    hint = (
        ob.cry_for_help_text(settings, rq.flagged_story_text()) if flags else ob.hint_buttons_only()
    )
    await message.answer(f"{hint}\n\n{body}", reply_markup=markup)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    msg, cb = router.message.register, router.callback_query.register
    msg(on_request, Command("request"))
    cb(on_request, ob.MenuCb.filter(F.item == ob.MenuItem.REQUEST))
    cb(on_prefilled, rq.ReqStartCb.filter())
    cb(on_category, rq.ReqKindCb.filter())
    cb(on_step_button, rq.ReqCb.filter())
    cb(on_urgency, rq.ReqUrgencyCb.filter())
    cb(on_contact, rq.ReqContactCb.filter())
    cb(on_phone_choice, rq.ReqPhoneCb.filter())
    cb(on_time, rq.ReqTimeCb.filter())
    # Commands are left to the routers after this one (/start, /sos... work mid-request).
    not_command = ~F.text.startswith("/")
    msg(on_story_message, Flow.story, not_command)
    msg(on_phone_shared, Flow.phone, F.contact)
    msg(on_phone_text, Flow.phone, not_command)
    button_steps = [s for s in Flow.__all_states__ if s not in (Flow.story, Flow.phone)]
    msg(on_unexpected, StateFilter(*button_steps), not_command)
    return router
