"""First contact: language, consent to personal-data processing, then the main menu."""

from __future__ import annotations

import functools
from collections.abc import Collection
from enum import StrEnum
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.dialogs.callbacks import bound_to
from bot.services.regions import Regions
from db.models import DraftKind, Person


class Privacy(StatesGroup):
    forget = State()  # asked to confirm the deletion of all their data
    clear = State()  # asked to confirm clearing the chat


class Onboarding(StatesGroup):
    language = State()
    consent = State()
    region = State()
    district = State()
    children = State()
    news = State()


class LangCb(CallbackData, prefix="lang"):
    code: str


class ConsentAction(StrEnum):
    ACCEPT = "accept"
    FULL = "full"
    DECLINE = "decline"


@bound_to(Onboarding.consent)  # consent counts only from the screen that explains it
class ConsentCb(CallbackData, prefix="consent"):
    action: ConsentAction


@bound_to(Onboarding.region)
class RegionCb(CallbackData, prefix="region"):
    key: str  # a key of content/regions.toml, checked by the handler


class AgeGroup(StrEnum):
    EXPECTING = "expecting"
    UNDER_5 = "0-4"
    SCHOOL = "5-11"
    TEEN = "12-18"


class ChildrenAction(StrEnum):
    TOGGLE = "toggle"
    DONE = "done"


@bound_to(Privacy.forget)
class ForgetCb(CallbackData, prefix="forget"):
    confirm: bool


@bound_to(Onboarding.district)
class DistrictCb(CallbackData, prefix="district"):
    skip: bool


@bound_to(Privacy.clear)
class ClearCb(CallbackData, prefix="clear"):
    confirm: bool


DISTRICT_MAX = 64


@bound_to(Onboarding.children)
class ChildrenCb(CallbackData, prefix="kids"):
    action: ChildrenAction
    group: AgeGroup | None = None


@bound_to(Onboarding.news)
class NewsCb(CallbackData, prefix="news"):
    subscribe: bool


class MenuItem(StrEnum):
    MAIN = "main"
    SOS = "sos"
    LANGUAGE = "language"
    PRIVACY = "privacy"
    HELP = "help"
    WITHDRAW = "withdraw"
    CONSENT = "consent"  # show the consent screen again
    SETTINGS = "settings"
    REGION = "region"  # change the region (from the settings)
    CHILDREN = "children"  # change the children's ages (from the settings)
    NEWS = "news"  # turn the news on or off (from the settings)
    FORGET = "forget"  # delete all my data (asks to confirm)
    REQUEST = "request"  # ask for help (or continue the draft)
    MY = "my"  # my requests
    ASSESSMENT = "assess"  # how is my family doing (or continue it)
    SERVICES = "services"  # where to get help: the services map
    DISTRICT = "district"  # town or district (from the settings)
    DISCREET = "discreet"  # discreet mode on or off (from the settings)
    CHECKINS = "checkins"  # check-ins paused or on (from the settings)
    CLEAR_CHAT = "clear"  # delete the bot's messages of the last 48 hours (asks to confirm)
    THINGS = "things"  # things for the child: the rental points near the family
    SHELTER = "shelter"  # a safe place to stay: crisis places near the family


class MenuCb(CallbackData, prefix="menu"):
    item: MenuItem


LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def language_text() -> str:
    return _("Hello! Please choose the language we will talk in.")


@functools.cache  # the same for everyone: the names are not translated
def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(name, LangCb(code=code)) for code, name in LANGUAGE_NAMES.items()]
        ]
    )


def consent_text() -> str:
    return _(
        "<b>«Семья рядом»</b> helps families in a difficult situation: it tells you where to "
        "turn and passes your request to the specialists of the «Дети в семье» service.\n\n"
        "To help, we need to keep what you write to us, and your phone number if you choose "
        "to share it. We use it only to help your family, we do not pass it to outsiders, "
        "and you can withdraw your consent at any time with /privacy.\n\n"
        "Do you agree to the processing of your personal data?"
    )


def consent_renewal_text(settings: Settings) -> str:
    return _(
        "We have updated our notice on personal data (version {version}). Please read it "
        "and confirm your consent — then we will go on from where you stopped."
    ).format(version=escape(settings.consent_version))


def resumed_text() -> str:
    return _("Thank you. Let us go on from where you stopped.")


def consent_full_text(settings: Settings) -> str:
    return _(
        "<b>Personal data notice</b> (version {version})\n\n"
        "<b>Who processes the data.</b> The regional family support service «Дети в семье» "
        "and the organisations it routes your request to.\n\n"
        "<b>What data.</b> Your Telegram account number, the language you chose, your region "
        "and town, the children's age groups if you gave them, what you write and send to the "
        "bot (texts, photos, documents, voice messages), your answers to the self-assessment, "
        "and your phone number only if you share it yourself with the button. We do not ask "
        "for your name.\n\n"
        "<b>Why.</b> To understand what help your family needs, to pass the request to a "
        "specialist, to answer you and to ask later how things are going.\n\n"
        "<b>Who sees it.</b> Only the duty specialists of the service that takes your "
        "request, and the coordinator of the programme in your region. Specialists never see "
        "your Telegram account; your phone number only if you asked for a call back.\n\n"
        "<b>How long.</b> As long as it is needed to help you. You can withdraw your consent "
        "at any time with /privacy, and delete all your data with /forget; after that we "
        "keep only numbers without names (how many requests, of what kind).\n\n"
        "<b>Legal basis.</b> Federal Law No. 152-FZ «On Personal Data», with your consent."
    ).format(version=escape(settings.consent_version))


def consent_keyboard(*, include_full: bool = True) -> InlineKeyboardMarkup:
    rows = [[_button(_("I agree"), ConsentCb(action=ConsentAction.ACCEPT))]]
    if include_full:
        rows.append([_button(_("Read the full notice"), ConsentCb(action=ConsentAction.FULL))])
    rows.append([_button(_("I do not agree"), ConsentCb(action=ConsentAction.DECLINE))])
    rows.append([_button(_("🆘 Emergency contacts"), MenuCb(item=MenuItem.SOS))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def declined_text(settings: Settings) -> str:
    return _(
        "Understood. We keep nothing about you except this refusal.\n\n"
        "If you need urgent help, you can always call:\n{contacts}\n\n"
        "If you change your mind, press the button below or send /start."
    ).format(contacts=emergency_lines(settings))


def declined_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("Back to the consent"), MenuCb(item=MenuItem.CONSENT))]]
    )


def _numbers(settings: Settings) -> dict[str, str]:
    return {
        "emergency": escape(settings.emergency_phone),
        "helpline": escape(settings.helpline_phone),
    }


def emergency_lines(settings: Settings) -> str:
    return _(
        "• <b>{emergency}</b> — emergency services, free, day and night\n"
        "• <b>{helpline}</b> — children's helpline: free, anonymous, day and night; "
        "parents can call too"
    ).format(**_numbers(settings))


def sos_text(settings: Settings, region_lines: str = "") -> str:
    """`region_lines`: the round-the-clock lines of the family's region, from the map."""
    contacts = emergency_lines(settings)
    if region_lines:
        contacts = f"{contacts}\n{region_lines}"
    return _(
        "<b>If you or your child are in danger right now, call {emergency}.</b>\n\n"
        "{contacts}\n\n"
        "You are not alone. When you are ready, come back to the menu: /start"
    ).format(contacts=contacts, **_numbers(settings))


def sos_lead(settings: Settings) -> str:
    return _("<b>If you or your child are in danger right now, call {emergency}.</b>").format(
        **_numbers(settings)
    )


def cry_for_help_text(settings: Settings, next_step: str) -> str:
    """The answer to free text that speaks of danger: the emergency numbers first."""
    return _(
        "<b>If you or your child are in danger right now, call {emergency}.</b>\n\n"
        "{contacts}\n\n"
        "You are not alone, and you did the right thing by writing. {next_step}"
    ).format(contacts=emergency_lines(settings), next_step=next_step, **_numbers(settings))


def next_step_language() -> str:
    return _("Choose the language with a button below, and we will go on together.")


def next_step_consent() -> str:
    return _(
        "So that we can pass your request to a specialist, we need your consent: "
        "the buttons are below."
    )


def next_step_menu() -> str:
    return _("Your message is saved. The menu below is always here for you.")


def main_menu_text() -> str:
    return _("How can we help? Choose below. Emergency contacts are always one tap away.")


def main_menu_keyboard(drafts: Collection[DraftKind] = ()) -> InlineKeyboardMarkup:
    """The menu; a request or a self-assessment begun and not finished is offered to
    continue in place of starting anew."""
    ask = _("📝 Continue my request") if DraftKind.REQUEST in drafts else _("🤝 Ask for help")
    check = (
        _("📝 Continue the questions")
        if DraftKind.ASSESSMENT in drafts
        else _("🧭 How is my family doing?")
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("🆘 Emergency contacts"), MenuCb(item=MenuItem.SOS))],
            [_button(ask, MenuCb(item=MenuItem.REQUEST))],
            [_button(check, MenuCb(item=MenuItem.ASSESSMENT))],
            [
                _button(_("🧸 Things for the child"), MenuCb(item=MenuItem.THINGS)),
                _button(_("🏠 A safe place to stay"), MenuCb(item=MenuItem.SHELTER)),
            ],
            [
                _button(_("📋 My requests"), MenuCb(item=MenuItem.MY)),
                _button(_("📍 Where to get help"), MenuCb(item=MenuItem.SERVICES)),
            ],
            [
                _button(_("⚙️ Settings"), MenuCb(item=MenuItem.SETTINGS)),
                _button(_("🔒 My data"), MenuCb(item=MenuItem.PRIVACY)),
            ],
            [_button(_("ℹ️ How it works"), MenuCb(item=MenuItem.HELP))],
        ]
    )


def region_text() -> str:
    return _(
        "Which region do you live in? Then we can tell you about help nearby, "
        "and write to you at a convenient local time."
    )


def region_keyboard(regions: Regions, locale: str) -> InlineKeyboardMarkup:
    rows = [[_button(r.name(locale), RegionCb(key=r.key))] for r in regions.items]
    rows.append([_button(_("🆘 Emergency contacts"), MenuCb(item=MenuItem.SOS))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def hint_buttons() -> str:
    return _("Please answer with a button below — or skip the question.")


def hint_buttons_only() -> str:
    return _("Please answer with a button below — your words are kept.")


def hint_region() -> str:
    return _("Please choose your region with a button below.")


def age_group_name(group: AgeGroup) -> str:
    names = {
        AgeGroup.EXPECTING: _("expecting a baby"),
        AgeGroup.UNDER_5: _("0–4 years"),
        AgeGroup.SCHOOL: _("5–11 years"),
        AgeGroup.TEEN: _("12–18 years"),
    }
    return names[group]


def children_text() -> str:
    return _(
        "How old are your children? Tap every answer that fits, then «Done». "
        "This helps us tell you about what suits your family. You can skip it."
    )


def children_keyboard(chosen: list[str]) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(
                ("✅ " if group.value in chosen else "") + age_group_name(group),
                ChildrenCb(action=ChildrenAction.TOGGLE, group=group),
            )
        ]
        for group in AgeGroup
    ]
    done = _("Done") if chosen else _("Skip")
    rows.append([_button(done, ChildrenCb(action=ChildrenAction.DONE))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def news_text() -> str:
    return _(
        "Would you like news of the programme in your region: a new «Мой малыш» rental point, "
        "a parents' club, a course for mothers on leave? A few messages a month at most, "
        "and you can turn them off at any time in the settings."
    )


def news_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Yes, send me news"), NewsCb(subscribe=True))],
            [_button(_("No, thank you"), NewsCb(subscribe=False))],
        ]
    )


def settings_text(person: Person, region: str | None, language: str) -> str:
    ages = ", ".join(
        age_group_name(AgeGroup(g)) for g in person.children_ages or [] if g in set(AgeGroup)
    )
    return _(
        "<b>Settings</b>\n\nRegion: {region}\nTown or district: {district}\n"
        "Language: {language}\nChildren: {children}\n{news}\n{discreet}\n{checkins}\n\n"
        "What would you like to change?"
    ).format(
        region=escape(region or _("not chosen")),
        district=escape(person.district or _("not said")),
        language=escape(language),
        children=escape(ages or _("not said")),
        news=_("Programme news: on") if person.news_subscribed else _("Programme news: off"),
        discreet=_("Discreet mode: on") if person.discreet else _("Discreet mode: off"),
        checkins=_("Check-ins after help: paused")
        if person.checkins_paused
        else _("Check-ins after help: on"),
    )


def settings_keyboard(person: Person) -> InlineKeyboardMarkup:
    news = person.news_subscribed
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("📍 Region"), MenuCb(item=MenuItem.REGION)),
                _button(_("🏘 Town or district"), MenuCb(item=MenuItem.DISTRICT)),
            ],
            [_button(_("👶 Children"), MenuCb(item=MenuItem.CHILDREN))],
            [
                _button(
                    _("🔕 Turn the news off") if news else _("🔔 Turn the news on"),
                    MenuCb(item=MenuItem.NEWS),
                )
            ],
            [
                _button(
                    _("🙈 Turn discreet mode off")
                    if person.discreet
                    else _("🙈 Turn discreet mode on"),
                    MenuCb(item=MenuItem.DISCREET),
                )
            ],
            [
                _button(
                    _("▶️ Resume check-ins") if person.checkins_paused else _("⏸ Pause check-ins"),
                    MenuCb(item=MenuItem.CHECKINS),
                )
            ],
            [_button(_("🧹 Clear this chat"), MenuCb(item=MenuItem.CLEAR_CHAT))],
            [_button(_("🌐 Language"), MenuCb(item=MenuItem.LANGUAGE))],
            [_button(_("« Menu"), MenuCb(item=MenuItem.MAIN))],
        ]
    )


def district_text() -> str:
    return _(
        "Which town or district do you live in? Type it in a message — it helps us suggest "
        "help close to you. You can skip this question."
    )


def district_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Skip"), DistrictCb(skip=True))],
            [_button(_("🆘 Emergency contacts"), MenuCb(item=MenuItem.SOS))],
        ]
    )


def district_too_long_text() -> str:
    return _(
        "That is a bit long for a town or district name (up to {n} characters). "
        "Please write it shorter, or press «Skip»."
    ).format(n=DISTRICT_MAX)


def district_hint() -> str:
    return _("Please type the name of your town or district, or press «Skip».")


def discreet_on_text() -> str:
    return _(
        "<b>Discreet mode is on.</b>\n\n"
        "What the bot sends you on its own — a specialist's answer, a check-in, news — will "
        "begin with a neutral line, «{line}», and the rest will be hidden until you tap it. "
        "So a notification on your phone shows nothing that others should not see.\n\n"
        "You can also clear this chat at any time: Settings → «🧹 Clear this chat»."
    ).format(line=neutral_line())


def discreet_off_text() -> str:
    return _("Discreet mode is off: messages will come as usual.")


def neutral_line() -> str:
    return _("You have a new message")


def discreet_wrap(text: str) -> str:
    """A message the bot sends on its own, for a person in discreet mode: a neutral first
    line, the rest hidden (Telegram hides spoilers in notifications and the chat list)."""
    return f"{neutral_line()}\n\n<tg-spoiler>{text}</tg-spoiler>"


def unprompted(person: Person, text: str) -> str:
    """A message the bot sends on its own (a specialist's answer, a check-in, news), as this
    person should receive it: behind the neutral line in discreet mode."""
    return discreet_wrap(text) if person.discreet else text


def checkins_text(paused: bool) -> str:
    if paused:
        return _(
            "Check-ins are paused: we will not write to ask how you are. You can turn them "
            "back on here at any time, and you can always write to us yourself."
        )
    return _("Check-ins are on: after help, we will ask now and then how you are.")


def clear_confirm_text() -> str:
    return _(
        "<b>Clear this chat?</b>\n\n"
        "We will delete the messages of this chat from the last 48 hours — ours and yours "
        "(Telegram does not let a bot delete older ones). Your requests stay with the "
        "specialists; nothing is lost for your case."
    )


def clear_confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Yes, clear the chat"), ClearCb(confirm=True))],
            [_button(_("No, leave it"), ClearCb(confirm=False))],
        ]
    )


def cleared_text() -> str:
    return _(
        "The chat is cleared. To remove the whole chat from this phone, tap the bot's name "
        "at the top, then «Delete chat» (older messages go too).\n\n"
        "The menu is here whenever you need it: /start"
    )


def back_to_menu_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("« Menu"), MenuCb(item=MenuItem.MAIN))]]
    )


def help_text() -> str:
    return _(
        "<b>«Семья рядом»</b> is a quiet place to ask for help when things are hard for your "
        "family. Specialists of the «Дети в семье» service read every request.\n\n"
        "/start — main menu\n"
        "/sos — emergency contacts, day and night\n"
        "/request — ask for help\n"
        "/my — my requests: what is happening with them\n"
        "/assessment — how is my family doing: a few questions\n"
        "/services — where to get help in your region\n"
        "/settings — region, language, discreet mode and more\n"
        "/privacy — your data and your consent\n"
        "/help — this note"
    )


def privacy_text(settings: Settings, *, consented: bool) -> str:
    status = (
        _("You gave your consent (notice version {version}).").format(
            version=escape(settings.consent_version)
        )
        if consented
        else _("You have not given your consent, so we keep nothing but that fact.")
    )
    return f"{consent_full_text(settings)}\n\n{status}"


def privacy_keyboard(*, consented: bool) -> InlineKeyboardMarkup:
    rows = []
    if consented:
        rows.append([_button(_("Withdraw my consent"), MenuCb(item=MenuItem.WITHDRAW))])
    else:
        rows.append([_button(_("Give consent"), MenuCb(item=MenuItem.CONSENT))])
    rows.append([_button(_("🗑 Delete all my data"), MenuCb(item=MenuItem.FORGET))])
    rows.append([_button(_("« Menu"), MenuCb(item=MenuItem.MAIN))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def forget_confirm_text() -> str:
    return _(
        "<b>Delete all your data?</b>\n\n"
        "We will delete everything we keep about you: what you wrote to us, the photos and "
        "voice messages, your phone number if you shared it, your region and your answers. "
        "Your open requests will be closed, and nothing more will be sent to you.\n\n"
        "This cannot be undone. If you need help again later, just write /start."
    )


def forget_confirm_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Yes, delete everything"), ForgetCb(confirm=True))],
            [_button(_("No, keep my data"), ForgetCb(confirm=False))],
        ]
    )


def forgotten_text(settings: Settings) -> str:
    return _(
        "Done: your data is deleted. You can delete this chat too: tap the bot's name at the "
        "top, then «Delete chat».\n\n"
        "If you need help, you can always call:\n{contacts}\n\n"
        "We will be glad to hear from you again: /start"
    ).format(contacts=emergency_lines(settings))


def withdrawn_text() -> str:
    return _(
        "Your consent is withdrawn. We keep nothing about you except this fact. "
        "You can come back at any time: /start"
    )


def hint_choose_language() -> str:
    return _("Please choose a language with a button below.")


def hint_consent(settings: Settings) -> str:
    return _(
        "We are here for you. To continue, please choose one of the options below. "
        "If you need help right now, call {emergency} or the helpline {helpline} — "
        "free, day and night."
    ).format(**_numbers(settings))


def hint_kept() -> str:
    return _(
        "Thank you for writing — I have kept your words, nothing is lost. "
        "Please choose what you need below; the emergency contacts are there too."
    )


def stale_button_text() -> str:
    return _("This button is out of date — here is the current menu.")


def error_text(settings: Settings) -> str:
    return _(
        "Sorry, something went wrong on our side. Please try again in a minute. "
        "If you need urgent help, call {emergency} or the helpline {helpline}."
    ).format(**_numbers(settings))
