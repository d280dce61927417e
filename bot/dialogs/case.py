"""What the duty team sees of a case in its staff group: the topic's name, the card and its
buttons, and the short notices of the case's life. Staff groups read the bot's default
language; everything a family wrote is escaped."""

from __future__ import annotations

from enum import StrEnum
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.dialogs.request import contact_name, help_kind_name, time_name
from db.models import ContactMethod, HelpRequest, Person, Priority, RequestStatus, Role

TOPIC_NAME_MAX = 128  # Telegram's limit for a forum topic's name


class CaseAction(StrEnum):
    TAKE = "take"
    TRANSFER = "transfer"
    PRIORITY = "priority"
    CLOSE = "close"


class CaseCb(CallbackData, prefix="case"):
    action: CaseAction
    request: int


def priority_name(priority: Priority) -> str:
    names = {
        Priority.URGENT: _("URGENT"),
        Priority.HIGH: _("high"),
        Priority.NORMAL: _("normal"),
    }
    return names[priority]


def reason_text(code: str, detail: str) -> str:
    texts = {
        "red_flag_text": _("danger in the family's words: {detail}"),
        "red_flag_assessment": _("danger in the self-assessment: {detail}"),
        "parent_says_now": _("the family says it cannot wait"),
        "parent_says_soon": _("the family needs help today or tomorrow"),
        "category": _("the kind of help: {detail}"),
        "repeat_contact": _("the family has asked for help before recently"),
        "assessment_crisis": _("the self-assessment shows a crisis"),
    }
    return texts.get(code, code).format(detail=escape(detail))


def topic_name(request: HelpRequest, queue_short: str, holder: Person | None = None) -> str:
    status = {
        RequestStatus.NEW: priority_name(request.priority)
        if request.priority is not Priority.NORMAL
        else _("new"),
        RequestStatus.IN_PROGRESS: _("in work: {name}").format(
            name=(holder.display_name if holder and holder.display_name else _("specialist"))
        ),
        RequestStatus.CLOSED: _("closed"),
        RequestStatus.CANCELLED: _("cancelled"),
    }[request.status]
    return f"#{request.id} · {queue_short} · {status}"[:TOPIC_NAME_MAX]


def card_text(
    request: HelpRequest,
    queue_name: str,
    *,
    region: str,
    district: str | None,
    phone: str | None,
    attachments: int,
    assessment: str | None,
    holder: Person | None = None,
) -> str:
    lines = [
        _("<b>Request #{number}</b> · {queue}").format(number=request.id, queue=escape(queue_name)),
        _("<b>Help:</b> {kind}").format(kind=help_kind_name(request.help_kind)),
        _("<b>Priority:</b> {priority}").format(priority=priority_name(request.priority)),
    ]
    for reason in request.triage or []:
        lines.append("   • " + reason_text(reason.get("code", ""), reason.get("detail", "")))
    place = escape(region) + (f", {escape(district)}" if district else "")
    lines.append(_("<b>Region:</b> {place}").format(place=place))
    contact = contact_name(request.contact_method)
    if request.contact_method is ContactMethod.CALL and phone:
        contact = f"{contact}: {escape(phone)}"
    if request.contact_time is not None:
        contact = f"{contact}, {time_name(request.contact_time).lower()}"
    lines.append(_("<b>Contact:</b> {contact}").format(contact=contact))
    if assessment:
        lines.append(_("<b>Self-assessment:</b> {summary}").format(summary=assessment))
    lines += ["", _("<b>What happened:</b>"), escape(request.summary or _("(not written)"))]
    if attachments:
        lines.append(_("Attachments follow below: {n}.").format(n=attachments))
    if holder is not None:
        lines += ["", _("Taken by {name}.").format(name=escape(holder.display_name or "—"))]
    lines += [
        "",
        _(
            "Write in this topic to answer the family (signed with your first name and role); "
            "start with // for a note only colleagues see."
        ),
    ]
    return "\n".join(lines)


def card_keyboard(request: HelpRequest) -> InlineKeyboardMarkup:
    def button(text: str, action: CaseAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=CaseCb(action=action, request=request.id).pack()
        )

    rows = []
    if request.status is RequestStatus.NEW:
        rows.append([button(_("✋ Take"), CaseAction.TAKE)])
    if request.status in (RequestStatus.NEW, RequestStatus.IN_PROGRESS):
        rows.append(
            [
                button(_("↪️ Transfer"), CaseAction.TRANSFER),
                button(_("⚡ Priority"), CaseAction.PRIORITY),
            ]
        )
        rows.append([button(_("✅ Close"), CaseAction.CLOSE)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def taken_by_other_text(name: str) -> str:
    return _("Already taken by {name}.").format(name=name)


def taken_text(name: str) -> str:
    return _("{name} took the request.").format(name=escape(name))


def not_allowed_text() -> str:
    return _("Only the specialists of this queue can do this.")


def family_message_text(text: str) -> str:
    return _("👪 <b>Family:</b> {text}").format(text=escape(text))


def family_media_caption(caption: str | None) -> str:
    return _("👪 <b>Family</b>") + (f": {escape(caption)}" if caption else "")


def blocked_text() -> str:
    return _(
        "⚠️ The family has blocked the bot: messages no longer reach them. "
        "They can come back at any time by writing to the bot."
    )


def duty_alert_text(number: int, queue: str, link: str) -> str:
    return _("New request #{number} in «{queue}»: {link}").format(
        number=number, queue=escape(queue), link=link
    )


def nobody_on_duty_text(number: int, queue: str, link: str) -> str:
    return _("⚠️ Urgent request #{number} in «{queue}», and nobody is on duty there: {link}").format(
        number=number, queue=escape(queue), link=link
    )


def not_linked_text(number: int, queue: str, key: str) -> str:
    return _(
        "⚠️ Request #{number} belongs to the queue «{queue}», which has no staff group yet, "
        "so it comes to you. An admin links a group by sending /link_queue {key} in it."
    ).format(number=number, queue=escape(queue), key=escape(key))


def signature(person: Person) -> str:
    role = {
        Role.SPECIALIST: _("specialist of «Дети в семье»"),
        Role.COORDINATOR: _("coordinator of the programme"),
        Role.ADMIN: _("coordinator of the programme"),
    }.get(person.role, _("specialist of «Дети в семье»"))
    name = person.display_name or _("Specialist")
    return f"<b>{escape(name)}, {role}</b>"


def to_family_text(person: Person, text: str) -> str:
    return f"{signature(person)}\n{escape(text)}"


def specialist_took_text(person: Person, number: int) -> str:
    return _(
        "{name} from the «Дети в семье» service has taken your request № {number} and will "
        "be in touch soon. You can write here: your messages reach the specialist."
    ).format(name=escape(person.display_name or _("A specialist")), number=number)


def sla_reminder_text(number: int, queue: str, link: str) -> str:
    return _(
        "⏰ Request #{number} in «{queue}» is waiting longer than it should: please take it. {link}"
    ).format(number=number, queue=escape(queue), link=link)


def sla_escalation_text(number: int, queue: str, link: str) -> str:
    return _(
        "🚨 Request #{number} in «{queue}» has waited twice its time to first response and "
        "nobody has taken it. {link}"
    ).format(number=number, queue=escape(queue), link=link)
