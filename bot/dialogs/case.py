"""What the duty team sees of a case in its staff group: the topic's name, the card and its
buttons, and the short notices of the case's life. Staff groups read the bot's default
language; everything a family wrote is escaped."""

from __future__ import annotations

from enum import StrEnum
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.dialogs.request import contact_name, help_kind_name, time_name
from bot.services.cases import TransferReason
from db.models import (
    ChildStatus,
    ContactMethod,
    HelpRequest,
    Outcome,
    Person,
    Priority,
    RequestStatus,
    Role,
)

TOPIC_NAME_MAX = 128  # Telegram's limit for a forum topic's name
CARD_STORY = 1200  # of the family's story on the card (escaped, it may grow fivefold)
PART = 3800  # of a family's or a specialist's words per message, escaped: under 4,096
CAPTION = 150  # of a caption's words: escaped and signed, under Telegram's 1,024


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
    if request.summary or request.resource is None:  # a point's request: its card follows
        story = request.summary or _("(not written)")
        if len(story) > CARD_STORY:  # the card must fit one message; the rest follows it
            story = story[:CARD_STORY] + "…"
        lines += ["", _("<b>What happened:</b>"), escape(story)]
    if attachments:
        lines.append(
            ngettext(
                "{n} attachment follows below.", "{n} attachments follow below.", attachments
            ).format(n=attachments)
        )
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
    if request.status is RequestStatus.CLOSED:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("↩️ Reopen"), callback_data=ReopenCb(request=request.id).pack()
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def taken_by_other_text(name: str) -> str:
    return _("Already taken by {name}.").format(name=name)


def taken_text(name: str) -> str:
    return _("{name} took the request.").format(name=escape(name))


def not_allowed_text() -> str:
    return _("Only the specialists of this queue can do this.")


def parts(text: str, limit: int = PART) -> list[str]:
    """Words split so that each part, escaped and signed, fits one message; cut at a line
    break or a space where there is one."""
    out = []
    while len(escape(text)) > limit:
        size = limit
        while len(escape(text[:size])) > limit:
            size -= 100
        cut = max(text.rfind("\n", 0, size), text.rfind(" ", 0, size))
        cut = cut if cut > size // 2 else size
        out.append(text[:cut])
        text = text[cut:].lstrip()
    return [*out, text]


def story_rest(request: HelpRequest) -> list[str]:
    """What of the story did not fit the card, in messages to follow it."""
    story = request.summary or ""
    return (
        [family_message_text(p) for p in parts(story[CARD_STORY:])]
        if len(story) > CARD_STORY
        else []
    )


def family_message_text(text: str) -> str:
    return _("👪 <b>Family:</b> {text}").format(text=escape(text))


def family_media_caption(caption: str | None) -> str:
    if caption and len(caption) > CAPTION:
        caption = caption[:CAPTION] + "…"
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


def to_family_caption(person: Person, caption: str | None) -> str:
    if caption and len(caption) > CAPTION:
        caption = caption[:CAPTION] + "…"
    return to_family_text(person, caption) if caption else signature(person)


def specialist_took_text(person: Person, number: int) -> str:
    if not person.display_name:
        return _(
            "A specialist of the «Дети в семье» service has taken your request № {number} and "
            "will be in touch soon. You can write here: your messages reach the specialist."
        ).format(number=number)
    return _(
        "{name} from the «Дети в семье» service has taken your request № {number} and will "
        "be in touch soon. You can write here: your messages reach the specialist."
    ).format(name=escape(person.display_name), number=number)


def sla_reminder_text(number: int, queue: str, link: str) -> str:
    return _(
        "⏰ Request #{number} in «{queue}» is waiting longer than it should: please take it. {link}"
    ).format(number=number, queue=escape(queue), link=link)


def sla_escalation_text(number: int, queue: str, link: str) -> str:
    return _(
        "🚨 Request #{number} in «{queue}» has waited twice its time to first response and "
        "nobody has taken it. {link}"
    ).format(number=number, queue=escape(queue), link=link)


class CloseCb(CallbackData, prefix="cclose"):
    request: int
    outcome: Outcome


class ChildCb(CallbackData, prefix="cchild"):
    request: int
    outcome: Outcome
    child: ChildStatus


class TransferCb(CallbackData, prefix="cxfer"):
    request: int
    queue: str


class TransferWhyCb(CallbackData, prefix="cxwhy"):
    request: int
    queue: str
    reason: TransferReason


class PriorityCb(CallbackData, prefix="cprio"):
    request: int
    priority: Priority


class ReopenCb(CallbackData, prefix="creopen"):
    request: int


class TemplateCb(CallbackData, prefix="ctpl"):
    request: int
    key: str


class RateCb(CallbackData, prefix="rate"):
    request: int
    score: int


def outcome_name(outcome: Outcome) -> str:
    names = {
        Outcome.HELPED: _("helped"),
        Outcome.REFERRED: _("referred elsewhere"),
        Outcome.DECLINED: _("the family declined"),
        Outcome.NO_CONTACT: _("could not reach the family"),
        Outcome.DUPLICATE: _("duplicate"),
    }
    return names[outcome]


def child_name(child: ChildStatus) -> str:
    names = {
        ChildStatus.AT_HOME: _("yes, lives with the family"),
        ChildStatus.TEMPORARILY_PLACED: _("temporarily placed"),
        ChildStatus.NOT_AT_HOME: _("no"),
        ChildStatus.UNKNOWN: _("unknown"),
    }
    return names[child]


def transfer_reason_name(reason: TransferReason) -> str:
    names = {
        TransferReason.KIND: _("another kind of help is needed"),
        TransferReason.REGION: _("the family lives in another region"),
        TransferReason.SPECIALISTS: _("other specialists can help better"),
        TransferReason.OTHER: _("another reason"),
    }
    return names[reason]


def _rows(buttons: list[tuple[str, CallbackData]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data.pack())] for text, data in buttons
        ]
    )


def close_text(number: int) -> str:
    return _("Closing request #{number}. What was the outcome?").format(number=number)


def close_keyboard(number: int) -> InlineKeyboardMarkup:
    return _rows([(outcome_name(o), CloseCb(request=number, outcome=o)) for o in Outcome])


def child_text(number: int) -> str:
    return _("Request #{number}: does the child live with the family now?").format(number=number)


def child_keyboard(number: int, outcome: Outcome) -> InlineKeyboardMarkup:
    return _rows(
        [(child_name(c), ChildCb(request=number, outcome=outcome, child=c)) for c in ChildStatus]
    )


def closed_card_note(number: int, outcome: Outcome, child: ChildStatus, name: str) -> str:
    return _("Request #{number} is closed by {name}: {outcome}; the child: {child}.").format(
        number=number, name=escape(name), outcome=outcome_name(outcome), child=child_name(child)
    )


def reopen_keyboard(number: int) -> InlineKeyboardMarkup:
    return _rows([(_("↩️ Reopen"), ReopenCb(request=number))])


def reopened_note(number: int, name: str) -> str:
    return _("Request #{number} is reopened by {name}.").format(number=number, name=escape(name))


def transfer_text(number: int) -> str:
    return _("Transfer request #{number} to which queue?").format(number=number)


def transfer_keyboard(number: int, queues: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return _rows([(name, TransferCb(request=number, queue=key)) for key, name in queues])


def transfer_why_text(number: int, queue: str) -> str:
    return _("Why does request #{number} go to «{queue}»?").format(
        number=number, queue=escape(queue)
    )


def transfer_why_keyboard(number: int, queue: str) -> InlineKeyboardMarkup:
    return _rows(
        [
            (transfer_reason_name(r), TransferWhyCb(request=number, queue=queue, reason=r))
            for r in TransferReason
        ]
    )


def transferred_note(number: int, queue: str, reason: TransferReason, name: str) -> str:
    return _("Request #{number} is transferred to «{queue}» by {name}: {reason}.").format(
        number=number, queue=escape(queue), name=escape(name), reason=transfer_reason_name(reason)
    )


def priority_text(number: int) -> str:
    return _("The priority of request #{number}:").format(number=number)


def priority_keyboard(number: int) -> InlineKeyboardMarkup:
    return _rows([(priority_name(p), PriorityCb(request=number, priority=p)) for p in Priority])


def priority_note(number: int, priority: Priority, name: str) -> str:
    return _("{name} set the priority of request #{number} to {priority}.").format(
        name=escape(name), number=number, priority=priority_name(priority)
    )


def templates_text(number: int) -> str:
    return _("Quick replies for request #{number} (sent in the family's language):").format(
        number=number
    )


def templates_keyboard(number: int, titles: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return _rows([(title, TemplateCb(request=number, key=key)) for key, title in titles])


def no_case_here_text() -> str:
    return _("Send /t inside a request's topic, or in reply to its card.")


def case_closed_text() -> str:
    return _("This request is closed. Reopen it from its card first.")


# -- what the family is told -----------------------------------------------------------


def family_closed_text(number: int, outcome: Outcome) -> str:
    texts = {
        Outcome.HELPED: _("The specialist has closed your request № {number}: the help is given."),
        Outcome.REFERRED: _(
            "The specialist has closed your request № {number}: you were referred to another "
            "service that can help."
        ),
        Outcome.DECLINED: _("Your request № {number} is closed, as you wished."),
        Outcome.NO_CONTACT: _(
            "We could not reach you about request № {number}, so it is closed. If you still "
            "need help, just send a new request — we are here."
        ),
        Outcome.DUPLICATE: _(
            "Request № {number} is closed: it repeated another of your requests, which "
            "stays in work."
        ),
    }
    return texts[outcome].format(number=number)


def rate_text() -> str:
    return _("Did this help? Rate it from 1 to 5 — it helps us do better.")


def rate_keyboard(number: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=str(n), callback_data=RateCb(request=number, score=n).pack()
                )
                for n in range(1, 6)
            ]
        ]
    )


def rated_text() -> str:
    return _(
        "Thank you! If you want to add a word, just write it here. And if you need help "
        "again, we are here."
    )


def family_reopened_text(number: int) -> str:
    return _("Your request № {number} is open again: a specialist is working on it.").format(
        number=number
    )


def family_transferred_text(number: int, queue: str) -> str:
    return _(
        "Your request № {number} has been passed to the specialists of «{queue}», who can "
        "help better. "
        "You do not need to do anything: they will get in touch."
    ).format(number=number, queue=escape(queue))


def template_sent_text(text: str) -> str:
    return _("📤 Sent to the family:\n{text}").format(text=escape(text))


def forgotten_note() -> str:
    return _(
        "The family asked to delete their data: the request is closed and its messages are "
        "erased. Please do not contact them unless they write again."
    )
