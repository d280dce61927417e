"""/assessment and «How is my family doing?»: one question a screen, Back / Skip / Pause,
resumed where the family stopped, then a result worded as support, with the help that fits."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dialogs import assessment as asd
from bot.dialogs import onboarding as ob
from bot.dialogs.bursts import BurstGate
from bot.dialogs.ui import show
from bot.handlers.fallback import message_content
from bot.services import self_check
from bot.services.assessment import Questionnaire, compare
from bot.services.drafts import open_drafts
from bot.services.red_flags import RedFlags
from bot.services.self_check import Progress
from db.models import HelpKind, Person

Event = Message | CallbackQuery
Action = asd.AssessAction


async def on_assessment(
    event: Event,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    assessment: Questionnaire,
) -> None:
    progress = await self_check.progress(session, person)
    if progress is not None and 0 < progress.index < len(assessment):
        await state.set_state(asd.AssessmentFlow.question)
        lead = asd.intro_text(progress.index, len(assessment))
        text = asd.question_text(assessment, progress.index, lead)
        await show(event, text, asd.question_keyboard(assessment, progress.index))
        return
    await state.set_state(asd.AssessmentFlow.intro)
    await show(event, asd.intro_text(None, len(assessment)), asd.intro_keyboard())


async def ask(
    event: Event,
    progress: Progress,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    assessment: Questionnaire,
    settings: Settings,
) -> None:
    """Save where the family is and show that question, or the result after the last one."""
    if progress.index >= len(assessment):
        await finish(event, progress, person, state, session, assessment, settings)
        return
    await self_check.save(session, person, progress)
    await state.set_state(asd.AssessmentFlow.question)
    text = asd.question_text(assessment, progress.index)
    await show(event, text, asd.question_keyboard(assessment, progress.index))


async def finish(
    event: Event,
    progress: Progress,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    assessment: Questionnaire,
    settings: Settings,
) -> None:
    outcome = await self_check.finish(session, person, assessment, progress)
    await state.clear()
    result = outcome.result
    changes = compare(outcome.previous, result) if outcome.previous else []
    lead = ob.sos_lead(settings) if result.red_flags else ""
    text = asd.result_text(assessment, result, changes, lead)
    await show(event, text, asd.result_keyboard(result, outcome.assessment_id))


async def on_button(
    query: CallbackQuery,
    callback_data: asd.AssessCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    assessment: Questionnaire,
    settings: Settings,
    red_flags: RedFlags,
    callback_answer: CallbackAnswer,
) -> None:
    progress = await self_check.progress(session, person) or Progress()
    action = callback_data.action
    if action is Action.START:
        await ask(query, progress, person, state, session, assessment, settings)
        return
    if action is Action.PAUSE:
        await self_check.save(session, person, progress)
        await state.clear()
        drafts = await open_drafts(session, person)
        await show(query, asd.paused_text(), ob.main_menu_keyboard(drafts=drafts))
        return
    if callback_data.q != progress.index or progress.index >= len(assessment):
        # A button of a question already answered (an older screen): the current one.
        callback_answer.text = ob.stale_button_text()
        await ask(query, progress, person, state, session, assessment, settings)
        return
    question = assessment.questions[progress.index]
    if action is Action.ANSWER and 0 <= callback_data.a < len(question.answers):
        flag = self_check.answer(assessment, progress, callback_data.a)
        if flag is not None:
            await self_check.save(session, person, progress)
            await state.set_state(asd.AssessmentFlow.flagged)
            kind = HelpKind(red_flags.help.get(flag, HelpKind.OTHER.value))
            text = ob.cry_for_help_text(settings, asd.flagged_next_step())
            await show(query, text, asd.flagged_keyboard(kind, progress.index))
            return
    elif action is Action.BACK:
        progress.index = max(0, progress.index - 1)
    elif action is Action.SKIP:
        progress.answers.pop(question.key, None)
        progress.index += 1
    await ask(query, progress, person, state, session, assessment, settings)


async def on_continue(
    query: CallbackQuery,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    assessment: Questionnaire,
    settings: Settings,
) -> None:
    progress = await self_check.progress(session, person) or Progress()
    await ask(query, progress, person, state, session, assessment, settings)


async def on_message(
    message: Message,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    assessment: Questionnaire,
    settings: Settings,
    bursts: BurstGate,
    red_flags: RedFlags,
    chat_backlog: int = 0,
) -> None:
    """Words where a button is expected: a cry for help first; otherwise a hint and the
    question again (the answers given so far are in the draft, nothing is lost)."""
    kind, text, _file = message_content(message)
    flags = red_flags.find(text) if text else []
    current = await state.get_state()
    kind = "red_flag" if flags else kind
    if not bursts.should_answer(message.chat.id, kind, current, chat_backlog):
        return
    progress = await self_check.progress(session, person)
    if progress is None or current == asd.AssessmentFlow.intro.state:
        hint = asd.hint_answer()
        body, markup = asd.intro_text(None, len(assessment)), asd.intro_keyboard()
    else:
        index = min(progress.index, len(assessment) - 1)
        hint = asd.hint_answer()
        body = asd.question_text(assessment, index)
        markup = asd.question_keyboard(assessment, index)
        await state.set_state(asd.AssessmentFlow.question)
    if flags:
        hint = ob.cry_for_help_text(settings, ob.hint_buttons_only())
    await message.answer(f"{hint}\n\n{body}", reply_markup=markup)


def create_router() -> Router:
    router = Router(name=__name__)
    msg, cb = router.message.register, router.callback_query.register
    msg(on_assessment, Command("assessment"))
    cb(on_assessment, ob.MenuCb.filter(F.item == ob.MenuItem.ASSESSMENT))
    cb(on_continue, asd.AssessCb.filter(F.action == Action.CONTINUE))
    cb(on_button, asd.AssessCb.filter())
    msg(on_message, asd.AssessmentFlow.intro, ~F.text.startswith("/"))
    msg(on_message, asd.AssessmentFlow.question, ~F.text.startswith("/"))
    msg(on_message, asd.AssessmentFlow.flagged, ~F.text.startswith("/"))
    return router
