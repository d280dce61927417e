"""Words and buttons of the staff's own screens: linking a group to a queue, invites, duty,
the roster. Staff read them in their own language; nothing here reaches a family."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from babel.dates import format_timedelta

from bot.services.overview import QueueRow
from db.models import Person, QueueStaff


class Right(StrEnum):
    ADMIN = "admin"
    TOPICS = "topics"
    PIN = "pin"


class DutyCb(CallbackData, prefix="duty"):
    queue: str


class RevokeCb(CallbackData, prefix="revoke"):
    person: int


def right_name(right: Right) -> str:
    names = {
        Right.ADMIN: _("make the bot an administrator of this group"),
        Right.TOPICS: _("allow it to manage topics"),
        Right.PIN: _("allow it to pin messages"),
    }
    return names[right]


def admins_only_text() -> str:
    return _("Only an administrator of the bot can do this.")


def unknown_queue_text(key: str, keys: list[str]) -> str:
    return _("There is no queue «{key}». The queues are: {keys}.").format(
        key=escape(key or "—"), keys=", ".join(escape(k) for k in keys)
    )


def linked_text(queue: str, forum: bool, topics: bool, missing: list[Right]) -> str:
    lines = [_("This group now works the queue «{queue}».").format(queue=escape(queue))]
    if topics:
        lines.append(_("Each request will open its own topic here, with its card."))
    elif not forum:
        lines.append(
            _(
                "This group has no topics, so requests will come as cards: reply to a card "
                "(or to a family's message under it) to answer the family. To give each "
                "request its own topic, turn on Topics in the group's settings and send "
                "this command again."
            )
        )
    else:
        lines.append(
            _(
                "Until the bot may manage topics, requests will come as cards: reply to a "
                "card to answer the family."
            )
        )
    if missing:
        lines.append(
            _("Still missing: {rights}.").format(rights="; ".join(right_name(r) for r in missing))
        )
    return "\n\n".join(lines)


def invite_usage_text() -> str:
    return _(
        "Usage: /invite specialist QUEUE_KEY — or /invite coordinator, or /invite "
        "coordinator REGION_KEY for a coordinator who sees one region's figures. "
        "The link works once, for 24 hours."
    )


def invite_text(link: str, role: str, queue: str | None) -> str:
    where = _(" in the queue «{queue}»").format(queue=escape(queue)) if queue else ""
    return _(
        "An invitation for a {role}{where}. Send this link to your colleague — it works once, "
        "for 24 hours:\n{link}"
    ).format(role=escape(role), where=where, link=link)


def welcome_text(role: str, queue: str | None) -> str:
    where = _(" in the queue «{queue}»").format(queue=escape(queue)) if queue else ""
    return _(
        "Welcome to the team! You are now a {role}{where}. /duty turns your duty on and off; "
        "requests come to the queue's staff group."
    ).format(role=escape(role), where=where)


def invite_invalid_text() -> str:
    return _(
        "This invitation does not work any more: it was used or is older than 24 hours. "
        "Please ask for a new one."
    )


def role_name(role: str) -> str:
    names = {
        "specialist": _("specialist"),
        "coordinator": _("coordinator"),
        "admin": _("administrator"),
        "parent": _("family"),
    }
    return names.get(role, role)


def not_staff_text() -> str:
    return _("This command is for the service's staff.")


def duty_text(memberships: list[tuple[QueueStaff, str]]) -> str:
    if not memberships:
        return _("You are not in any queue yet. An administrator can invite you with /invite.")
    lines = [_("<b>Your duty</b>")]
    for m, name in memberships:
        state = _("on duty") if m.on_duty else _("off duty")
        lines.append(f"• {escape(name)}: {state}")
    lines.append(_("Tap a queue to turn your duty there on or off."))
    return "\n".join(lines)


def duty_keyboard(memberships: list[tuple[QueueStaff, str]]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=("🟢 " if m.on_duty else "⚪ ") + name,
                callback_data=DutyCb(queue=m.queue_key).pack(),
            )
        ]
        for m, name in memberships
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def roster_text(
    by_queue: list[tuple[QueueStaff, Person]], leads: list[Person], names: dict[str, str]
) -> str:
    lines = [_("<b>Staff</b>")]
    for m, person in by_queue:
        duty = " 🟢" if m.on_duty else ""
        lines.append(
            f"• {escape(person.display_name or '—')} — "
            f"{escape(names.get(m.queue_key, m.queue_key))}{duty}"
        )
    for person in leads:
        lines.append(f"• {escape(person.display_name or '—')} — {role_name(person.role.value)}")
    if len(lines) == 1:
        lines.append(_("Nobody yet: /invite brings colleagues in."))
    return "\n".join(lines)


def roster_keyboard(people: list[Person]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=_("Revoke: {name}").format(name=p.display_name or "—"),
                callback_data=RevokeCb(person=p.id).pack(),
            )
        ]
        for p in people
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def revoked_text(name: str) -> str:
    return _("{name} no longer has a staff role.").format(name=escape(name))


def _duration(value: timedelta | None, locale: str) -> str:
    if value is None:
        return "—"
    return format_timedelta(value, threshold=1.1, add_direction=False, locale=locale)


def overview_text(rows: list[QueueRow], names: dict[str, str], locale: str) -> str:
    lines = [_("<b>Queues</b>")]
    for row in rows:
        rating = f"{row.rating:.1f}" if row.rating is not None else "—"
        lines += [
            "",
            f"<b>{escape(names.get(row.key, row.key))}</b>",
            _(
                "open: {open} · not taken: {unclaimed} · longest wait: {oldest} · "
                "first answer this week (median): {median} · past the SLA today: {breaches} · "
                "rating: {rating}"
            ).format(
                open=row.open,
                unclaimed=row.unclaimed,
                oldest=_duration(row.oldest_waiting, locale),
                median=_duration(row.median_first_response, locale),
                breaches=row.breaches_today,
                rating=rating,
            ),
            _("on duty: {names}").format(
                names=escape(", ".join(row.on_duty)) if row.on_duty else _("nobody")
            ),
        ]
    return "\n".join(lines)
