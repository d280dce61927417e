"""The self-assessment: its screens, buttons and words. The questions themselves come from
content/assessment.toml (English msgids, translated through the catalogs)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.dialogs.callbacks import bound_to
from bot.dialogs.onboarding import MenuCb, MenuItem, _button
from bot.dialogs.request import ReqStartCb, Rows, help_kind_name
from bot.services.assessment import Change, Level, Questionnaire, Result
from db.models import HelpKind

MAX_HELP_BUTTONS = 4


class AssessmentFlow(StatesGroup):
    intro = State()
    question = State()
    flagged = State()  # an answer meant danger now: the emergency numbers, then a choice


class AssessAction(StrEnum):
    START = "start"
    ANSWER = "answer"
    BACK = "back"
    SKIP = "skip"
    PAUSE = "pause"
    CONTINUE = "go_on"  # after the emergency numbers


@bound_to(*AssessmentFlow.__all_states__)
class AssessCb(CallbackData, prefix="as"):
    action: AssessAction
    q: int = 0  # the question the button belongs to (0-based)
    a: int = 0  # the answer chosen


def intro_text(resumed_at: int | None, total: int) -> str:
    if resumed_at is not None:
        return _(
            "Welcome back. You stopped at question {n} of {total} — let us go on from there."
        ).format(n=resumed_at + 1, total=total)
    return ngettext(
        "<b>How is your family doing?</b>\n\n"
        "{total} short question about home, money, health and the children — about three "
        "minutes. This is not a test, and nobody will judge you: your answers help us "
        "understand which help would be right for your family.\n\n"
        "Any question can be skipped, and you can pause and come back later.",
        "<b>How is your family doing?</b>\n\n"
        "{total} short questions about home, money, health and the children — about three "
        "minutes. This is not a test, and nobody will judge you: your answers help us "
        "understand which help would be right for your family.\n\n"
        "Any question can be skipped, and you can pause and come back later.",
        total,
    ).format(total=total)


def intro_keyboard() -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(_("Begin"), AssessCb(action=AssessAction.START))],
        [_button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN))],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def question_text(questionnaire: Questionnaire, index: int, lead: str = "") -> str:
    question = questionnaire.questions[index]
    domain = questionnaire.domain(question.domain)
    head = _("Question {n} of {total} · {domain}").format(
        n=index + 1, total=len(questionnaire), domain=_(domain.name)
    )
    text = f"<i>{head}</i>\n\n<b>{_(question.text)}</b>"
    return f"{lead}\n\n{text}" if lead else text


def question_keyboard(questionnaire: Questionnaire, index: int) -> InlineKeyboardMarkup:
    question = questionnaire.questions[index]
    rows: Rows = [
        [_button(_(a.text), AssessCb(action=AssessAction.ANSWER, q=index, a=n))]
        for n, a in enumerate(question.answers)
    ]
    nav = []
    if index > 0:
        nav.append(_button(_("« Back"), AssessCb(action=AssessAction.BACK, q=index)))
    nav.append(_button(_("Skip »"), AssessCb(action=AssessAction.SKIP, q=index)))
    rows.append(nav)
    rows.append([_button(_("⏸ Pause"), AssessCb(action=AssessAction.PAUSE, q=index))])
    rows.append([_button(_("🆘 Emergency contacts"), MenuCb(item=MenuItem.SOS))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def hint_answer() -> str:
    return _(
        "Please answer with a button — or press «Skip». If you want to tell more, you can "
        "do it in a help request."
    )


def flagged_next_step() -> str:
    return _(
        "If you wish, we will pass this to a specialist as an urgent request right now. "
        "Or we can go on with the questions."
    )


def flagged_keyboard(kind: HelpKind, index: int) -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(_("🆘 Send an urgent request now"), ReqStartCb(kind=kind, urgent=True))],
        [_button(_("Go on with the questions"), AssessCb(action=AssessAction.CONTINUE, q=index))],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def paused_text() -> str:
    return _(
        "Your answers are saved. Whenever you are ready, press «Continue the questions» "
        "in the menu."
    )


def level_name(level: Level) -> str:
    names = {
        Level.STEADY: _("🟢 holding steady"),
        Level.STRAINED: _("🟡 hard now — support would help"),
        Level.CRISIS: _("🔴 needs help now"),
    }
    return names[level]


def overall_text(level: Level) -> str:
    texts = {
        Level.STEADY: _(
            "Your family is doing all right. If something changes, we are here — "
            "you can write at any time."
        ),
        Level.STRAINED: _(
            "Some things are hard for your family right now. That happens to many families, "
            "and there is help for it — you do not have to manage alone."
        ),
        Level.CRISIS: _(
            "Things are very hard for your family right now, and you do not have to carry this "
            "alone. Please let a specialist help: you can send a request in one tap below."
        ),
    }
    return texts[level]


def result_text(
    questionnaire: Questionnaire,
    result: Result,
    changes: list[Change],
    emergency_lead: str = "",
) -> str:
    if result.answered == 0:
        return _(
            "You skipped all the questions — that is all right. Whenever you wish, you can "
            "tell a specialist about your situation in your own words."
        )
    lines = [_("<b>Thank you for your answers.</b> Here is what we understood:"), ""]
    for domain in questionnaire.domains:
        level = result.levels.get(domain.key)
        if level is not None:
            lines.append(f"• {_(domain.name)}: {level_name(level)}")
    lines += ["", overall_text(result.level)]
    if changes:
        lines += ["", _("<b>Since last time:</b>")]
        for change in changes:
            if change.before is None or change.after is None:
                continue
            trend = _("better") if change.improved else _("harder")
            lines.append(
                _("• {domain}: {trend} ({after})").format(
                    domain=_(questionnaire.domain(change.domain).name),
                    trend=trend,
                    after=level_name(change.after),
                )
            )
    if result.help:
        lines += ["", _("Help that may fit your family is below, one tap away.")]
    text = "\n".join(lines)
    return f"{emergency_lead}\n\n{text}" if emergency_lead else text


def result_keyboard(result: Result, assessment_id: int) -> InlineKeyboardMarkup:
    rows: Rows = [
        [
            _button(
                help_kind_name(HelpKind(kind)),
                ReqStartCb(kind=HelpKind(kind), assessment=assessment_id),
            )
        ]
        for kind in result.help[:MAX_HELP_BUTTONS]
    ]
    if not result.help:
        rows.append([_button(_("🤝 Ask for help"), MenuCb(item=MenuItem.REQUEST))])
    # What a point near the family has free now is one tap away too.
    if HelpKind.RENTAL in result.help:
        rows.append([_button(_("🧸 Things for the child"), MenuCb(item=MenuItem.THINGS))])
    if HelpKind.CRISIS_HOUSING in result.help:
        rows.append([_button(_("🏠 A safe place to stay"), MenuCb(item=MenuItem.SHELTER))])
    rows.append([_button(_("📍 Where to get help"), MenuCb(item=MenuItem.SERVICES))])
    rows.append([_button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN))])
    return InlineKeyboardMarkup(inline_keyboard=rows)
