"""The last word: anything nobody else handled gets a friendly next step, never silence.

And the first word on buttons that are not really on screen (forged, replayed, out of date):
the callback guard marks them, `create_stale_router` takes them before any other handler.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import onboarding as ob
from bot.dialogs import request as rq
from bot.dialogs.bursts import BurstGate
from bot.handlers.common import home
from bot.services import family_messages, requests
from bot.services.drafts import open_drafts
from bot.services.red_flags import RedFlags
from bot.services.regions import Regions
from db.models import DraftKind, HelpKind, Person


def message_content(message: Message) -> tuple[str, str | None, str | None]:
    """(content type, text or caption, file id) of what a person sent."""
    text = message.text or message.caption
    media = (
        message.photo[-1]
        if message.photo
        else message.voice
        or message.audio
        or message.document
        or message.video
        or message.video_note
        or message.sticker
    )
    kind = getattr(message.content_type, "value", str(message.content_type))
    return kind, text, media.file_id if media is not None else None


async def on_unexpected_message(
    message: Message,
    person: Person,
    state: FSMContext,
    settings: Settings,
    session: AsyncSession,
    bursts: BurstGate,
    red_flags: RedFlags,
    regions: Regions,
    bot: Bot,
    i18n: I18n,
    chat_backlog: int = 0,
) -> None:
    kind, text, file_id = message_content(message)
    current = await state.get_state()
    # A cry for help is never answered with a form, at whatever step, before consent too
    # (the text is only read, not kept): the emergency numbers first, then the way on.
    flags = red_flags.find(text) if text else []
    # In the menu, the words begin an urgent request, one tap from being sent — unless the
    # family has a case in work: then they go to its specialist.
    command = text is not None and text.startswith("/")
    in_menu = current is None and not command and onboarded(person, regions)
    case = await requests.open_case(session, person) if in_menu else None
    urgent = bool(flags) and in_menu and case is None
    if command:
        kind = "command"  # an unknown command is its own act, not part of a text burst
    elif case is not None:
        row = await requests.add_message(
            session, person, case, content_type=kind, text=text, file_id=file_id,
            message_id=message.message_id,
        )  # fmt: skip
        await relay.to_staff(bot, i18n, settings.default_locale, case, row)
    elif urgent:
        await requests.note_cry_for_help(session, person, text or "", flags)
    else:
        family_messages.keep_loose(  # only with consent: the service checks
            session, person, content_type=kind, text=text, file_id=file_id,
            message_id=message.message_id,
        )  # fmt: skip
    if flags:
        answer = bursts.should_answer(message.chat.id, "red_flag", current)
    else:
        answer = bursts.should_answer(message.chat.id, kind, current, chat_backlog)
    if not answer:  # the rest of a burst: kept (with consent), not answered again
        return
    if case is not None:
        reply = rq.relayed_text(case.id)
        reply = ob.cry_for_help_text(settings, reply) if flags else reply
        await message.answer(reply, reply_markup=rq.submitted_keyboard())
        return
    if urgent:
        kind_of_help = HelpKind(red_flags.help.get(flags[0], HelpKind.OTHER.value))
        reply = ob.cry_for_help_text(settings, rq.urgent_offer_text())
        await message.answer(reply, reply_markup=rq.urgent_offer_keyboard(kind_of_help))
        return
    drafts = await open_drafts(session, person) if person.has_consent else set()
    hint, next_step, markup = _where_to_go_on(person, current, settings, regions, drafts)
    reply = ob.cry_for_help_text(settings, next_step) if flags else hint
    await message.answer(reply, reply_markup=markup)


def onboarded(person: Person, regions: Regions) -> bool:
    return person.has_consent and regions.get(person.region) is not None


def _where_to_go_on(
    person: Person,
    step: str | None,
    settings: Settings,
    regions: Regions,
    drafts: set[DraftKind],
) -> tuple[str, str, InlineKeyboardMarkup]:
    """For the person's current step: the hint, the next-step line after the emergency
    numbers, and the keyboard that goes on from there."""
    locale = person.locale or ""
    if step == ob.Onboarding.language.state or person.locale is None:
        return ob.hint_choose_language(), ob.next_step_language(), ob.language_keyboard()
    if not person.has_consent:
        return ob.hint_consent(settings), ob.next_step_consent(), ob.consent_keyboard()
    if step == ob.Onboarding.region.state:
        return ob.hint_region(), ob.hint_region(), ob.region_keyboard(regions, locale)
    if step == ob.Onboarding.children.state:
        markup = ob.children_keyboard(person.children_ages)
        return ob.hint_buttons(), ob.hint_buttons(), markup
    if step == ob.Onboarding.news.state:
        return ob.hint_buttons(), ob.hint_buttons(), ob.news_keyboard()
    markup = ob.main_menu_keyboard(drafts)
    return ob.hint_kept(), ob.next_step_menu(), markup


async def on_stale_button(
    query: CallbackQuery,
    person: Person,
    state: FSMContext,
    callback_answer: CallbackAnswer,
    regions: Regions,
    session: AsyncSession,
) -> None:
    callback_answer.text = ob.stale_button_text()
    # A new message, not an edit: the old one may already show the current screen.
    target = query.message if isinstance(query.message, Message) else query
    await home(target, person, state, regions, session)


async def on_foreign_button(query: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    """Buttons in groups that nobody handles (yet) are answered, so the client stops spinning."""
    callback_answer.text = ob.stale_button_text()


class IsStale(Filter):
    async def __call__(self, query: CallbackQuery, callback_stale: bool = False) -> bool:
        return callback_stale


def create_stale_router() -> Router:
    router = Router(name=f"{__name__}.stale")
    router.callback_query.filter(IsStale())
    router.callback_query.register(on_stale_button, F.message.chat.type == "private")
    router.callback_query.register(on_foreign_button)
    return router


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_unexpected_message, F.chat.type == "private")
    router.callback_query.register(on_stale_button, F.message.chat.type == "private")
    router.callback_query.register(on_foreign_button)
    return router
