"""A family answers a check-in, or a reminder of something left half-way."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import checkin as ck
from bot.dialogs import onboarding as ob
from bot.dialogs.ui import show
from bot.handlers.common import home
from bot.handlers.parent.assessment import on_assessment
from bot.handlers.parent.request import start_request
from bot.services import cases, checkins, requests, self_check
from bot.services.assessment import Questionnaire
from bot.services.queues import Queues
from bot.services.regions import Regions
from db.models import CheckInAnswer, DraftKind, Person


async def on_checkin(
    query: CallbackQuery,
    callback_data: ck.CheckInCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    i18n: I18n,
    settings: Settings,
    queues: Queues,
    callback_answer: CallbackAnswer,
) -> None:
    answered = await checkins.answer(session, person, callback_data.follow_up, callback_data.answer)
    if answered is None:
        callback_answer.text = ob.stale_button_text()
        return
    request, given = answered.request, callback_data.answer
    if given in (CheckInAnswer.WORSE, CheckInAnswer.NEED_HELP):
        text = ck.reopened_text(request.id)
        if given is CheckInAnswer.NEED_HELP:
            text = ob.cry_for_help_text(settings, text)
        await show(query, text, ob.back_to_menu_keyboard())
        with i18n.use_locale(settings.default_locale):
            note = ck.topic_worse_text(request.id, ck.answer_name(given))
        holder = await cases.holder_of(session, request)
        await relay.refresh(bot, request, queues, settings.default_locale, holder)
        await relay.note_in_case(bot, request, note)
        return
    await show(query, ck.thanks_text(given), ob.back_to_menu_keyboard())


async def on_draft_reminder(
    query: CallbackQuery,
    callback_data: ck.DraftCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    regions: Regions,
    assessment: Questionnaire,
) -> None:
    if callback_data.action is ck.DraftAction.DROP:
        if callback_data.kind is DraftKind.REQUEST:
            await requests.drop_draft(session, person)
        else:
            await self_check.drop(session, person)
        await show(query, ck.draft_dropped_text(), ob.back_to_menu_keyboard())
    elif callback_data.kind is DraftKind.REQUEST:
        await start_request(query, person, state, session)
    elif await self_check.progress(session, person) is not None:
        await on_assessment(query, person, state, session, assessment)
    else:  # the draft was finished or dropped meanwhile
        await home(query, person, state, regions, session)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(on_checkin, ck.CheckInCb.filter())
    router.callback_query.register(on_draft_reminder, ck.DraftCb.filter())
    return router
