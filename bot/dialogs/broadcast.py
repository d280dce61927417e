"""Broadcasts: the coordinator's composer and progress, and what a family receives."""

from __future__ import annotations

from enum import StrEnum
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.dialogs.callbacks import bound_to
from bot.dialogs.onboarding import AgeGroup, age_group_name
from bot.services.broadcasts import Progress, Segment
from bot.services.regions import Regions
from db.models import Broadcast, BroadcastStatus

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}
# What the composer keeps in the dialog's data, as the broadcast's own fields.
DRAFT_FIELDS = ("text", "text_en", "media_kind", "media_file_id", "button_text", "button_url")


class Compose(StatesGroup):
    text = State()
    media = State()
    text_en = State()
    button = State()
    audience = State()
    review = State()
    schedule = State()


class ComposeAction(StrEnum):
    SKIP = "skip"
    PREVIEW = "preview"
    SEND = "send"
    SCHEDULE = "schedule"
    CANCEL = "cancel"


@bound_to(*Compose.__all_states__)
class ComposeCb(CallbackData, prefix="bc"):
    action: ComposeAction


@bound_to(Compose.audience)
class AudienceCb(CallbackData, prefix="bca"):
    kind: str  # regions, ages or locales
    value: str


class UnsubscribeCb(CallbackData, prefix="unsub"):
    pass


class StopCb(CallbackData, prefix="bcstop"):
    broadcast: int


def _rows(rows: list[list[tuple[str, CallbackData]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t, callback_data=d.pack()) for t, d in row] for row in rows
        ]
    )


def not_allowed_text() -> str:
    return _("Broadcasts are for coordinators.")


def ask_text() -> str:
    return _(
        "<b>New broadcast</b>\n\nSend the text in Russian. HTML is allowed: <b>bold</b>, "
        "<i>italic</i>, links. Up to 1,000 characters if you add a photo or a document."
    )


def ask_again_text() -> str:
    return _("Please send text here — or use the buttons below.")


def html_error_text(problem: str) -> str:
    return _("The text was not saved: {problem}. Please correct it and send it again.").format(
        problem=escape(problem)
    )


def too_long_text(limit: int) -> str:
    return _("That is too long: up to {limit} characters, please.").format(limit=limit)


def ask_media() -> str:
    return _("Add a photo or a document? Send it — or press «Skip».")


def ask_text_en() -> str:
    return _(
        "An English version, for families who chose English? Send it — or press «Skip» "
        "(they will get the Russian text)."
    )


def ask_button() -> str:
    return _("A link button? Send «Title | https://…» — or press «Skip».")


def bad_button_text() -> str:
    return _("Please send it as «Title | https://…», or press «Skip».")


def skip_keyboard() -> InlineKeyboardMarkup:
    return _rows(
        [
            [(_("Skip »"), ComposeCb(action=ComposeAction.SKIP))],
            [(_("✖️ Cancel"), ComposeCb(action=ComposeAction.CANCEL))],
        ]
    )


def audience_text(count: int) -> str:
    return _(
        "<b>Who receives it?</b> Only families who agreed to receive news. Tap to narrow "
        "down; nothing chosen in a row means everyone.\n\nRecipients now: <b>{count}</b>"
    ).format(count=count)


def audience_keyboard(segment: Segment, regions: Regions, locale: str) -> InlineKeyboardMarkup:
    def mark(kind: str, value: str, label: str) -> tuple[str, CallbackData]:
        chosen = value in getattr(segment, kind)
        return ("✅ " if chosen else "") + label, AudienceCb(kind=kind, value=value)

    rows = [[mark("regions", r.key, r.name(locale))] for r in regions.items]
    rows.append([mark("ages", a.value, age_group_name(a)) for a in AgeGroup][:2])
    rows.append([mark("ages", a.value, age_group_name(a)) for a in AgeGroup][2:])
    rows.append([mark("locales", code, name) for code, name in LANGUAGE_NAMES.items()])
    rows.append([(_("👁 Preview"), ComposeCb(action=ComposeAction.PREVIEW))])
    rows.append([(_("✖️ Cancel"), ComposeCb(action=ComposeAction.CANCEL))])
    return _rows(rows)


def review_text(count: int) -> str:
    return _(
        "Above is the message exactly as families will see it (in Russian; families who "
        "chose English get the English version if there is one).\n\n"
        "Recipients: <b>{count}</b>. Send now, schedule, or cancel?"
    ).format(count=count)


def review_keyboard() -> InlineKeyboardMarkup:
    return _rows(
        [
            [(_("📤 Send now"), ComposeCb(action=ComposeAction.SEND))],
            [(_("🕒 Schedule"), ComposeCb(action=ComposeAction.SCHEDULE))],
            [(_("✖️ Cancel"), ComposeCb(action=ComposeAction.CANCEL))],
        ]
    )


def ask_schedule() -> str:
    return _(
        "When? Send the date and time in your time zone, e.g. «25.12 10:00» or «tomorrow 10:00»."
    )


def bad_time_text() -> str:
    return _("I could not read that time. For example: «25.12 10:00» or «tomorrow 10:00».")


def cancelled_text() -> str:
    return _("The broadcast is cancelled; nothing was sent.")


def scheduled_text(when: str, count: int) -> str:
    return _("Scheduled for {when} (your time), to {count} recipients.").format(
        when=when, count=count
    )


def delivered_keyboard(broadcast: Broadcast) -> InlineKeyboardMarkup:
    rows = []
    if broadcast.button_text and broadcast.button_url:
        rows.append([InlineKeyboardButton(text=broadcast.button_text, url=broadcast.button_url)])
    rows.append(
        [
            InlineKeyboardButton(
                text=_("🔕 Unsubscribe from news"), callback_data=UnsubscribeCb().pack()
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def unsubscribed_text() -> str:
    return _("You will not receive programme news any more. You can turn it back on in /settings.")


def progress_text(broadcast: Broadcast, p: Progress, rate: float, final: bool) -> str:
    if final:
        head = _("<b>Broadcast #{number} is finished.</b>").format(number=broadcast.id)
    elif broadcast.status is BroadcastStatus.CANCELLED:
        head = _("<b>Broadcast #{number} is cancelled.</b>").format(number=broadcast.id)
    else:
        head = _("<b>Broadcast #{number} is being sent…</b>").format(number=broadcast.id)
    minutes = int(p.left / rate / 60) + 1 if rate and p.left else 0
    body = _(
        "sent: {sent} of {total} · failed: {failed} · blocked the bot: {blocked} · "
        "unknown (a restart): {unknown} · left: {left}"
    ).format(
        sent=p.sent, total=p.total, failed=p.failed, blocked=p.blocked, unknown=p.unknown,
        left=p.left,
    )  # fmt: skip
    tail = _("About {minutes} min to finish.").format(minutes=minutes) if minutes else ""
    return "\n".join(x for x in (head, body, tail) if x)


def progress_keyboard(number: int) -> InlineKeyboardMarkup:
    return _rows([[(_("⏹ Stop the broadcast"), StopCb(broadcast=number))]])


def list_text(items: list[tuple[Broadcast, Progress]]) -> str:
    if not items:
        return _("No broadcasts yet: /broadcast starts one.")
    lines = [_("<b>Broadcasts</b>")]
    for b, p in items:
        first = escape((b.text or "").split("\n")[0][:40])
        lines.append(
            _(
                "#{number} · {status} · sent {sent} of {total}, failed {failed}, "
                "blocked {blocked}, unknown {unknown} · {first}"
            ).format(
                number=b.id,
                status=b.status.value,
                sent=p.sent,
                total=p.total,
                failed=p.failed,
                blocked=p.blocked,
                unknown=p.unknown,
                first=first,
            )
        )
    return "\n".join(lines)
