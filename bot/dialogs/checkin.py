"""Check-ins and reminders, as a family and a specialist see them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from html import escape
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_datetime

from bot.dialogs.request import help_kind_name
from db.models import CheckInAnswer, DraftKind, HelpKind


class CheckInCb(CallbackData, prefix="chk"):
    follow_up: int
    answer: CheckInAnswer


class DraftAction(StrEnum):
    CONTINUE = "go_on"
    DROP = "drop"


class DraftCb(CallbackData, prefix="drf"):
    kind: DraftKind
    action: DraftAction


def local_time(moment: datetime, timezone: str, locale: str) -> str:
    """A moment as a person reads it: their time zone, their language."""
    return format_datetime(moment, "d MMMM, HH:mm", tzinfo=ZoneInfo(timezone), locale=locale)


def answer_name(answer: CheckInAnswer) -> str:
    names = {
        CheckInAnswer.BETTER: _("🙂 Better"),
        CheckInAnswer.SAME: _("😐 The same"),
        CheckInAnswer.WORSE: _("😟 Worse"),
        CheckInAnswer.NEED_HELP: _("🆘 I need help now"),
    }
    return names[answer]


def checkin_text(number: int, kind: HelpKind) -> str:
    return _(
        "Hello! Some time ago you asked us for help ({kind}, request № {number}). "
        "How are things now?"
    ).format(kind=help_kind_name(kind), number=number)


def checkin_keyboard(follow_up: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=answer_name(a),
                    callback_data=CheckInCb(follow_up=follow_up, answer=a).pack(),
                )
            ]
            for a in CheckInAnswer
        ]
    )


def checkin_reminder_text(number: int) -> str:
    return _(
        "We are still thinking of you. If you have a moment, tell us with one tap how things "
        "are now (request № {number}) — or just write to us."
    ).format(number=number)


def thanks_text(answer: CheckInAnswer) -> str:
    if answer is CheckInAnswer.BETTER:
        return _("We are glad to hear it! If anything changes, we are here — just write.")
    return _("Thank you for telling us. If you need help, write here at any time.")


def reopened_text(number: int) -> str:
    return _(
        "Thank you for telling us. Your request № {number} is open again, and a specialist "
        "will get in touch soon. You can write here: your messages reach them."
    ).format(number=number)


def topic_worse_text(number: int, answer: str) -> str:
    return _(
        "⚠️ Check-in of request #{number}: the family answers «{answer}». The case is open again."
    ).format(number=number, answer=escape(answer))


def topic_no_answer_text(number: int) -> str:
    return _(
        "The family has not answered the check-in of request #{number} for two days. "
        "It may be worth getting in touch."
    ).format(number=number)


def topic_blocked_text() -> str:
    return _("⚠️ The family has blocked the bot: their check-ins are cancelled.")


def draft_reminder_text(kind: DraftKind) -> str:
    if kind is DraftKind.REQUEST:
        return _(
            "Yesterday you began a request for help and did not finish it. Everything you "
            "wrote is saved — shall we go on?"
        )
    return _(
        "Yesterday you began the questions «How is my family doing?» and stopped half-way. "
        "Your answers are saved — shall we go on?"
    )


def draft_reminder_keyboard(kind: DraftKind) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("Continue"),
                    callback_data=DraftCb(kind=kind, action=DraftAction.CONTINUE).pack(),
                )
            ],
            [
                InlineKeyboardButton(
                    text=_("No longer needed"),
                    callback_data=DraftCb(kind=kind, action=DraftAction.DROP).pack(),
                )
            ],
        ]
    )


def draft_dropped_text() -> str:
    return _("All right, the draft is deleted. Whenever you need us, we are here.")


def call_reminder_text(number: int, when: str, note: str, link: str) -> str:
    text = _("⏰ Reminder: request #{number}, {when}. {link}").format(
        number=number, when=when, link=link
    )
    return f"{text}\n{escape(note)}" if note else text


def remind_set_text(when: str) -> str:
    return _("I will remind you on {when} (your time).").format(when=when)


def remind_usage_text() -> str:
    return _(
        "In a request's topic: /remind 15:30, /remind tomorrow 10:00 or /remind 25.12 10:00, "
        "then what to remind of, if you like."
    )
