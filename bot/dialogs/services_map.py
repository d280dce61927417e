"""Where to get help: the services map of the family's region, by kind of help."""

from __future__ import annotations

from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.dialogs.onboarding import MenuCb, MenuItem, _button
from bot.dialogs.request import ReqStartCb, Rows, help_kind_name
from bot.services.services_map import Organisation
from db.models import HelpKind

MAX_TEXT = 3800  # under Telegram's 4,096, with room for the heading


class ServicesCb(CallbackData, prefix="svc"):
    kind: HelpKind


def categories_text(region: str) -> str:
    return _(
        "<b>Where to get help</b> · {region}\n\n"
        "Choose the kind of help, and we will show who gives it. If you are not sure, ask "
        "for help: a specialist will find the right place with you."
    ).format(region=escape(region))


def categories_keyboard(kinds: tuple[str, ...]) -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(help_kind_name(HelpKind(k)), ServicesCb(kind=HelpKind(k)))] for k in kinds
    ]
    rows.append([_button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def empty_text(region: str) -> str:
    return _(
        "Our map has no services for your region ({region}) yet. A specialist of the "
        "«Дети в семье» service will find where to turn with you: press «Ask for help»."
    ).format(region=escape(region))


def organisation_text(org: Organisation, locale: str) -> str:
    lines = [f"<b>{escape(org.name(locale))}</b>"]
    if org.example:
        lines[0] = _("Example: {name}").format(name=lines[0])
    for label, field in ((_("Address"), "address"), (_("Hours"), "hours")):
        value = org.text(locale, field)
        if value:
            lines.append(f"{label}: {escape(value)}")
    if org.phone:
        lines.append(_("Phone: {phone}").format(phone=escape(org.phone)))
    if org.url:
        lines.append(escape(org.url))
    description = org.text(locale, "description")
    if description:
        lines.append(escape(description))
    return "\n".join(lines)


def organisations_text(kind: HelpKind, orgs: tuple[Organisation, ...], locale: str) -> str:
    head = f"<b>{help_kind_name(kind)}</b>"
    parts = [head]
    for org in orgs:
        block = organisation_text(org, locale)
        if sum(len(p) for p in parts) + len(block) > MAX_TEXT:
            parts.append(_("…and more: a specialist will tell you about them."))
            break
        parts.append(block)
    if any(o.example for o in orgs):
        parts.append(
            _(
                "<i>Entries marked «Example» describe a kind of service, not a particular "
                "organisation; ask a specialist where to find one in your town.</i>"
            )
        )
    return "\n\n".join(parts)


def organisations_keyboard(kind: HelpKind) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("🤝 Ask for this help"), ReqStartCb(kind=kind))],
            [_button(_("« Other kinds of help"), MenuCb(item=MenuItem.SERVICES))],
            [_button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN))],
        ]
    )


def sos_region_lines(orgs: tuple[Organisation, ...], locale: str) -> str:
    """The region's round-the-clock lines, under the emergency numbers of /sos."""
    return "\n".join(f"• <b>{escape(o.phone or '')}</b> — {escape(o.name(locale))}" for o in orgs)
