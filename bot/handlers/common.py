"""What works for everybody in a private chat, before and after consent:
/start, /help, /sos, /language, /privacy and the menu buttons behind them."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import BotCommandScopeChat, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import LOCALES, Settings
from bot.dialogs import case as cd
from bot.dialogs import onboarding as ob
from bot.dialogs import stats as sd
from bot.dialogs.services_map import sos_region_lines
from bot.dialogs.ui import delete_messages, show
from bot.i18n import bot_commands
from bot.services import chat_log, people, privacy, stats
from bot.services.drafts import open_drafts
from bot.services.red_flags import RedFlags
from bot.services.regions import Regions
from bot.services.services_map import ServicesMap
from db.models import Person

Event = Message | CallbackQuery
# Commands of the family's flows (bot/handlers/parent/); before onboarding is finished they
# lead to its next step instead.
PARENT_COMMANDS = ("request", "my", "assessment", "services")


async def home(
    event: Event,
    person: Person,
    state: FSMContext,
    regions: Regions,
    session: AsyncSession,
    lead: str = "",
) -> None:
    """The screen this person should see now: language, consent, region, then the menu."""
    lead = f"{lead}\n\n" if lead else ""
    if person.locale is None:
        await state.set_state(ob.Onboarding.language)
        await show(event, ob.language_text(), ob.language_keyboard())
    elif not person.has_consent:
        await state.set_state(ob.Onboarding.consent)
        await show(event, ob.consent_text(), ob.consent_keyboard())
    elif regions.get(person.region) is None:
        await ask_region(event, person, state, regions, lead)
    else:
        await state.clear()
        drafts = await open_drafts(session, person)
        markup = ob.main_menu_keyboard(drafts)
        await show(event, lead + ob.main_menu_text(), markup)


async def ask_region(
    event: Event, person: Person, state: FSMContext, regions: Regions, lead: str = ""
) -> None:
    await state.set_state(ob.Onboarding.region)
    await show(event, lead + ob.region_text(), ob.region_keyboard(regions, person.locale or ""))


async def on_start(
    message: Message,
    person: Person,
    state: FSMContext,
    regions: Regions,
    session: AsyncSession,
) -> None:
    await home(message, person, state, regions, session)


async def on_menu(
    query: CallbackQuery,
    person: Person,
    state: FSMContext,
    regions: Regions,
    session: AsyncSession,
) -> None:
    await home(query, person, state, regions, session)


async def on_settings(
    event: Event, person: Person, state: FSMContext, regions: Regions, lead: str = ""
) -> None:
    await state.clear()
    region = regions.get(person.region)
    locale = person.locale or ""
    text = ob.settings_text(
        person, region.name(locale) if region else None, ob.LANGUAGE_NAMES.get(locale, locale)
    )
    markup = ob.settings_keyboard(person)
    if stats.may_see(person):  # coordinators and admins: their Monday digest
        text += "\n" + sd.digest_state_text(person.stats_digest)
        markup.inline_keyboard.insert(-3, [sd.digest_button(person.stats_digest)])
    await show(event, f"{lead}\n\n{text}" if lead else text, markup)


async def ask_district(event: Event, state: FSMContext, lead: str = "") -> None:
    await state.set_state(ob.Onboarding.district)
    text = f"{lead}\n\n{ob.district_text()}" if lead else ob.district_text()
    await show(event, text, ob.district_keyboard())


async def on_change_district(query: CallbackQuery, state: FSMContext) -> None:
    await ask_district(query, state)
    await state.update_data(back_to_settings=True)


async def after_district(event: Event, person: Person, state: FSMContext, regions: Regions) -> None:
    if (await state.get_data()).get("back_to_settings"):
        await on_settings(event, person, state, regions)
    else:
        await ask_children(event, person, state)


async def on_district_skip(
    query: CallbackQuery, person: Person, state: FSMContext, regions: Regions
) -> None:
    await after_district(query, person, state, regions)


async def on_district_text(
    message: Message,
    person: Person,
    state: FSMContext,
    regions: Regions,
    settings: Settings,
    red_flags: RedFlags,
) -> None:
    text = (message.text or "").strip()
    if not text:  # a sticker, a photo, a voice message
        await message.answer(ob.district_hint(), reply_markup=ob.district_keyboard())
        return
    if red_flags.find(text):  # not a place name: a cry for help comes first
        reply = ob.cry_for_help_text(settings, ob.district_hint())
        await message.answer(reply, reply_markup=ob.district_keyboard())
        return
    if len(text) > ob.DISTRICT_MAX:
        await message.answer(ob.district_too_long_text(), reply_markup=ob.district_keyboard())
        return
    people.set_district(person, text)
    await after_district(message, person, state, regions)


async def on_toggle_discreet(
    query: CallbackQuery, person: Person, state: FSMContext, regions: Regions
) -> None:
    people.set_discreet(person, not person.discreet)
    lead = ob.discreet_on_text() if person.discreet else ob.discreet_off_text()
    await on_settings(query, person, state, regions, lead)


async def on_toggle_checkins(
    query: CallbackQuery, person: Person, state: FSMContext, regions: Regions
) -> None:
    people.set_checkins_paused(person, not person.checkins_paused)
    await on_settings(query, person, state, regions, ob.checkins_text(person.checkins_paused))


async def on_clear_chat(event: Event, state: FSMContext) -> None:
    await state.set_state(ob.Privacy.clear)
    await show(event, ob.clear_confirm_text(), ob.clear_confirm_keyboard())


async def on_clear_answer(
    query: CallbackQuery,
    callback_data: ob.ClearCb,
    person: Person,
    state: FSMContext,
    regions: Regions,
    session: AsyncSession,
    bot: Bot,
) -> None:
    if not callback_data.confirm:
        await on_settings(query, person, state, regions)
        return
    await state.clear()
    chat_id = query.from_user.id
    ids = await chat_log.deletable(session, chat_id)
    await delete_messages(bot, chat_id, ids)
    await bot.send_message(chat_id, ob.cleared_text(), reply_markup=ob.back_to_menu_keyboard())


async def ask_children(event: Event, person: Person, state: FSMContext, lead: str = "") -> None:
    await state.set_state(ob.Onboarding.children)
    await show(event, lead + ob.children_text(), ob.children_keyboard(person.children_ages))


async def on_change_children(query: CallbackQuery, person: Person, state: FSMContext) -> None:
    await ask_children(query, person, state)
    await state.update_data(back_to_settings=True)


async def on_children(
    query: CallbackQuery,
    callback_data: ob.ChildrenCb,
    person: Person,
    state: FSMContext,
    regions: Regions,
) -> None:
    if callback_data.action is ob.ChildrenAction.TOGGLE and callback_data.group is not None:
        people.toggle_age_group(person, callback_data.group.value)
        await show(query, ob.children_text(), ob.children_keyboard(person.children_ages))
    elif (await state.get_data()).get("back_to_settings"):
        await on_settings(query, person, state, regions)
    else:
        await state.set_state(ob.Onboarding.news)
        await show(query, ob.news_text(), ob.news_keyboard())


async def on_news(
    query: CallbackQuery,
    callback_data: ob.NewsCb,
    person: Person,
    state: FSMContext,
    regions: Regions,
    session: AsyncSession,
) -> None:
    people.set_news(person, callback_data.subscribe)
    await home(query, person, state, regions, session)


async def on_toggle_news(
    query: CallbackQuery, person: Person, state: FSMContext, regions: Regions
) -> None:
    people.set_news(person, not person.news_subscribed)
    await on_settings(query, person, state, regions)


async def on_change_region(
    query: CallbackQuery, person: Person, state: FSMContext, regions: Regions
) -> None:
    await ask_region(query, person, state, regions)
    await state.update_data(back_to_settings=True)


async def on_region_chosen(
    query: CallbackQuery,
    callback_data: ob.RegionCb,
    person: Person,
    state: FSMContext,
    regions: Regions,
    settings: Settings,
) -> None:
    region = regions.get(callback_data.key)
    if region is None:  # a region a coordinator has since removed from the list
        await ask_region(query, person, state, regions)
        return
    people.set_region(person, region.key, region.timezone or settings.timezone)
    if (await state.get_data()).get("back_to_settings"):
        await on_settings(query, person, state, regions)
    else:  # first time through: the optional questions, then the menu
        await ask_district(query, state)


async def on_sos(
    event: Event, person: Person, settings: Settings, services_map: ServicesMap
) -> None:
    lines = services_map.crisis_lines(person.region) if person.has_consent else ()
    region_lines = sos_region_lines(lines, person.locale or settings.default_locale)
    await show(event, ob.sos_text(settings, region_lines), ob.back_to_menu_keyboard())


async def on_help(event: Event) -> None:
    await show(event, ob.help_text(), ob.back_to_menu_keyboard())


async def on_language(event: Event, state: FSMContext) -> None:
    await state.set_state(ob.Onboarding.language)
    await show(event, ob.language_text(), ob.language_keyboard())


async def on_language_chosen(
    query: CallbackQuery,
    callback_data: ob.LangCb,
    person: Person,
    state: FSMContext,
    i18n: I18n,
    bot: Bot,
    regions: Regions,
    session: AsyncSession,
) -> None:
    people.set_locale(person, callback_data.code)
    i18n.current_locale = callback_data.code
    # The command menu follows the chosen language in this chat, whatever the phone's language.
    await bot.set_my_commands(
        bot_commands(i18n, callback_data.code),
        scope=BotCommandScopeChat(chat_id=query.from_user.id),
    )
    await home(query, person, state, regions, session)


async def on_privacy(event: Event, person: Person, settings: Settings) -> None:
    consented = person.has_consent
    await show(
        event,
        ob.privacy_text(settings, consented=consented),
        ob.privacy_keyboard(consented=consented),
    )


async def on_withdraw(
    query: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
) -> None:
    await on_consent_decline(query, person, session, state, settings, withdrawn=True)


async def on_consent_accept(
    query: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    regions: Regions,
) -> None:
    if person.locale is None:  # an old consent screen pressed before a language was chosen
        people.set_locale(person, settings.default_locale)
    people.accept_consent(session, person, settings.consent_version)
    resume = (await state.get_data()).get(RESUME)
    if resume and resume.get("state"):  # asked again for a new notice: back to the dialog
        await state.set_state(resume["state"])
        await state.set_data(resume.get("data") or {})
        await show_step(query, person, state, regions, session, lead=ob.resumed_text())
        return
    await home(query, person, state, regions, session, lead=_("Thank you for your trust."))


RESUME = "resume_after_consent"  # FSM data: the dialog interrupted by a new notice


async def on_consent_outdated(event: Event, state: FSMContext, settings: Settings) -> None:
    """Consent to an older notice: ask for the current one, keeping the dialog to resume."""
    current = await state.get_state()
    if current != ob.Onboarding.consent.state:
        resume = {"state": current, "data": await state.get_data()}
        await state.set_state(ob.Onboarding.consent)
        await state.set_data({RESUME: resume})
    text = f"{ob.consent_renewal_text(settings)}\n\n{ob.consent_text()}"
    await show(event, text, ob.consent_keyboard())


async def show_step(
    event: Event,
    person: Person,
    state: FSMContext,
    regions: Regions,
    session: AsyncSession,
    lead: str = "",
) -> None:
    """The screen of the step the person is at, anew (after an interruption)."""
    current = await state.get_state()
    lead = f"{lead}\n\n" if lead else ""
    if current == ob.Onboarding.region.state:
        await ask_region(event, person, state, regions, lead)
    elif current == ob.Onboarding.district.state:
        await ask_district(event, state, lead.strip())
    elif current == ob.Onboarding.children.state:
        await ask_children(event, person, state, lead)
    elif current == ob.Onboarding.news.state:
        await show(event, lead + ob.news_text(), ob.news_keyboard())
    elif current == ob.Privacy.forget.state:
        await show(event, lead + ob.forget_confirm_text(), ob.forget_confirm_keyboard())
    else:
        await home(event, person, state, regions, session, lead=lead.strip())


async def on_consent_full(query: CallbackQuery, settings: Settings, state: FSMContext) -> None:
    await state.set_state(ob.Onboarding.consent)
    await show(query, ob.consent_full_text(settings), ob.consent_keyboard(include_full=False))


async def on_consent_review(
    query: CallbackQuery,
    person: Person,
    state: FSMContext,
    regions: Regions,
    session: AsyncSession,
) -> None:
    if person.has_consent:
        await home(query, person, state, regions, session)
        return
    await state.set_state(ob.Onboarding.consent)
    await show(query, ob.consent_text(), ob.consent_keyboard())


async def on_consent_decline(
    query: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    *,
    withdrawn: bool = False,
) -> None:
    people.decline_consent(session, person)
    await state.clear()
    text = ob.withdrawn_text() if withdrawn else ob.declined_text(settings)
    await show(query, text, ob.declined_keyboard())


async def on_forget(event: Event, state: FSMContext) -> None:
    await state.set_state(ob.Privacy.forget)
    await show(event, ob.forget_confirm_text(), ob.forget_confirm_keyboard())


async def on_forget_answer(
    query: CallbackQuery,
    callback_data: ob.ForgetCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    regions: Regions,
    bot: Bot,
    i18n: I18n,
) -> None:
    if not callback_data.confirm:
        await home(query, person, state, regions, session)
        return
    await state.clear()
    in_work = await privacy.forget(session, person, bot_id=bot.id)
    await show(query, ob.forgotten_text(settings))
    with i18n.use_locale(settings.default_locale):
        note = cd.forgotten_note()
    for request in in_work:  # the team learns why the case closed; it keeps no words
        await relay.note_in_case(bot, request, f"#{request.id}: {note}")


class ConsentOutdated(Filter):
    """The person agreed to an older notice, and this is not one of the things that work
    without consent (emergency contacts, help, privacy, deleting data, the consent itself)."""

    FREE_COMMANDS = frozenset({"sos", "help", "privacy", "forget", "language"})
    FREE_MENU = frozenset(
        {
            ob.MenuItem.SOS,
            ob.MenuItem.HELP,
            ob.MenuItem.PRIVACY,
            ob.MenuItem.FORGET,
            ob.MenuItem.WITHDRAW,
            ob.MenuItem.LANGUAGE,
        }
    )

    async def __call__(self, event: Event, person: Person | None, settings: Settings) -> bool:
        if person is None or not people.consent_outdated(person, settings.consent_version):
            return False
        if isinstance(event, Message):
            word = (event.text or "").split(maxsplit=1)[0].lstrip("/").split("@")[0]
            return not ((event.text or "").startswith("/") and word in self.FREE_COMMANDS)
        data = event.data or ""
        if data.startswith((ob.ConsentCb.__prefix__, ob.LangCb.__prefix__, ob.ForgetCb.__prefix__)):
            return False
        try:
            return ob.MenuCb.unpack(data).item not in self.FREE_MENU
        except (TypeError, ValueError):
            return True


def create_consent_router() -> Router:
    """Second in the tree, after the stale-button guard: a new notice is agreed to first."""
    router = Router(name=f"{__name__}.consent")
    router.message.filter(F.chat.type == "private", ConsentOutdated())
    router.callback_query.filter(F.message.chat.type == "private", ConsentOutdated())
    router.message.register(on_consent_outdated)
    router.callback_query.register(on_consent_outdated)
    return router


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    msg, cb = router.message.register, router.callback_query.register
    msg(on_start, CommandStart())
    item, act = ob.MenuItem, ob.ConsentAction
    cb(on_menu, ob.MenuCb.filter(F.item == item.MAIN))
    msg(on_sos, Command("sos"))
    cb(on_sos, ob.MenuCb.filter(F.item == item.SOS))
    msg(on_help, Command("help"))
    cb(on_help, ob.MenuCb.filter(F.item == item.HELP))
    msg(on_language, Command("language"))
    cb(on_language, ob.MenuCb.filter(F.item == item.LANGUAGE))
    cb(on_language_chosen, ob.LangCb.filter(F.code.in_(LOCALES)))
    msg(on_privacy, Command("privacy"))
    cb(on_privacy, ob.MenuCb.filter(F.item == item.PRIVACY))
    cb(on_withdraw, ob.MenuCb.filter(F.item == item.WITHDRAW))
    msg(on_forget, Command("forget"))
    cb(on_forget, ob.MenuCb.filter(F.item == item.FORGET))
    cb(on_forget_answer, ob.ForgetCb.filter())
    cb(on_consent_review, ob.MenuCb.filter(F.item == item.CONSENT))
    msg(on_settings, Command("settings"))
    cb(on_settings, ob.MenuCb.filter(F.item == item.SETTINGS))
    cb(on_change_region, ob.MenuCb.filter(F.item == item.REGION))
    cb(on_region_chosen, ob.RegionCb.filter())
    cb(on_change_district, ob.MenuCb.filter(F.item == item.DISTRICT))
    cb(on_district_skip, ob.DistrictCb.filter())
    msg(on_district_text, ob.Onboarding.district, ~F.text.startswith("/"))
    cb(on_toggle_discreet, ob.MenuCb.filter(F.item == item.DISCREET))
    cb(on_toggle_checkins, ob.MenuCb.filter(F.item == item.CHECKINS))
    msg(on_clear_chat, Command("clear"))
    cb(on_clear_chat, ob.MenuCb.filter(F.item == item.CLEAR_CHAT))
    cb(on_clear_answer, ob.ClearCb.filter())
    cb(on_change_children, ob.MenuCb.filter(F.item == item.CHILDREN))
    cb(on_children, ob.ChildrenCb.filter())
    cb(on_news, ob.NewsCb.filter())
    cb(on_toggle_news, ob.MenuCb.filter(F.item == item.NEWS))
    cb(on_consent_accept, ob.ConsentCb.filter(F.action == act.ACCEPT))
    cb(on_consent_full, ob.ConsentCb.filter(F.action == act.FULL))
    cb(on_consent_decline, ob.ConsentCb.filter(F.action == act.DECLINE))
    # The family's flows before onboarding is finished: its next step first.
    msg(on_start, Command(*PARENT_COMMANDS))
    return router
