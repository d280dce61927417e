"""The help request: states, buttons and words of each step, and of "My requests"."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from html import escape
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_datetime, format_timedelta

from bot.dialogs.callbacks import bound_to
from bot.dialogs.onboarding import MenuCb, MenuItem, _button
from bot.services.requests import (
    MAX_FILES,
    MAX_STORY,
    MAX_VOICES,
    CancelReason,
    Expectation,
    RequestDraft,
)
from db.models import (
    ContactMethod,
    ContactTime,
    HelpKind,
    HelpRequest,
    Priority,
    RequestMessage,
    RequestStatus,
    Urgency,
)

Rows = list[list[InlineKeyboardButton]]


class RequestFlow(StatesGroup):
    category = State()
    story = State()
    urgency = State()
    contact = State()
    phone = State()
    time = State()
    review = State()


class MyRequests(StatesGroup):
    adding = State()  # what the family sends now joins the request


class ReqAction(StrEnum):
    NEXT = "next"
    BACK = "back"
    SEND = "send"
    DISCARD = "discard"
    CLEAR_STORY = "clear"
    EDIT_CATEGORY = "e_cat"
    EDIT_STORY = "e_story"
    EDIT_URGENCY = "e_urg"
    EDIT_CONTACT = "e_con"


@bound_to(RequestFlow.category)
class ReqKindCb(CallbackData, prefix="rqk"):
    kind: HelpKind


@bound_to(*RequestFlow.__all_states__)
class ReqCb(CallbackData, prefix="rq"):
    action: ReqAction


@bound_to(RequestFlow.urgency)
class ReqUrgencyCb(CallbackData, prefix="rqu"):
    level: Urgency


@bound_to(RequestFlow.contact)
class ReqContactCb(CallbackData, prefix="rqc"):
    method: ContactMethod


@bound_to(RequestFlow.phone)
class ReqPhoneCb(CallbackData, prefix="rqp"):
    keep: bool  # call the number already shared


@bound_to(RequestFlow.time)
class ReqTimeCb(CallbackData, prefix="rqt"):
    time: ContactTime


class ReqStartCb(CallbackData, prefix="rqs"):
    """A request begun from elsewhere: the help an assessment suggests, or a red flag."""

    kind: HelpKind
    urgent: bool = False
    assessment: int = 0


class MyAction(StrEnum):
    LIST = "list"
    OPEN = "open"
    ADD = "add"
    DONE = "done"  # finished adding
    CANCEL = "cancel"  # asks for a reason


class MyCb(CallbackData, prefix="my"):
    action: MyAction
    request: int = 0


@bound_to(MyRequests.adding)
class MyAddDoneCb(CallbackData, prefix="myd"):
    request: int


class MyCancelCb(CallbackData, prefix="myc"):
    request: int
    reason: CancelReason


def help_kind_name(kind: HelpKind) -> str:
    names = {
        HelpKind.CRISIS_HOUSING: _("🏠 A place to stay (crisis centre)"),
        HelpKind.PSYCHOLOGICAL: _("💬 Talk to a psychologist"),
        HelpKind.LEGAL: _("⚖️ Documents, benefits, legal help"),
        HelpKind.RENTAL: _("🧸 Baby things on loan («Мой малыш»)"),
        HelpKind.MATERIAL: _("🧺 Food, clothes, money support"),
        HelpKind.ADDICTION: _("🌱 Help with alcohol or drugs"),
        HelpKind.DAY_CARE: _("🏫 Day care for a child"),
        HelpKind.RESPITE: _("🛏 A break: short stay for a child"),
        HelpKind.PREGNANCY: _("🤰 Pregnancy and a newborn"),
        HelpKind.TRAINING: _("🎓 Training and work"),
        HelpKind.MENTORING: _("🤝 A mentor, a parents' club"),
        HelpKind.OTHER: _("✳️ Something else"),
    }
    return names[kind]


def urgency_name(level: Urgency) -> str:
    names = {
        Urgency.EMERGENCY: _("Right now, it cannot wait"),
        Urgency.HIGH: _("Today or tomorrow"),
        Urgency.NORMAL: _("It can wait a few days"),
    }
    return names[level]


def contact_name(method: ContactMethod) -> str:
    names = {
        ContactMethod.CHAT: _("💬 Write to me here"),
        ContactMethod.CALL: _("📞 Call me back"),
        ContactMethod.VISIT: _("🚪 I would like to come in person"),
    }
    return names[method]


def time_name(time: ContactTime) -> str:
    names = {
        ContactTime.MORNING: _("Morning, 9–12"),
        ContactTime.DAY: _("Afternoon, 12–17"),
        ContactTime.EVENING: _("Evening, 17–21"),
        ContactTime.ANY: _("Any time"),
    }
    return names[time]


def status_name(status: RequestStatus) -> str:
    names = {
        RequestStatus.NEW: _("waiting for a specialist"),
        RequestStatus.IN_PROGRESS: _("a specialist is working on it"),
        RequestStatus.CLOSED: _("closed"),
        RequestStatus.CANCELLED: _("cancelled"),
    }
    return names[status]


def _nav(*, back: bool = True) -> Rows:
    row = [_button(_("« Back"), ReqCb(action=ReqAction.BACK))] if back else []
    row.append(_button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN)))
    return [row, [_button(_("🆘 Emergency contacts"), MenuCb(item=MenuItem.SOS))]]


def _markup(rows: Rows) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def category_text() -> str:
    return _(
        "<b>Ask for help</b>\n\n"
        "What kind of help does your family need? Choose what is closest — "
        "a specialist will understand the rest from your story."
    )


def category_keyboard() -> InlineKeyboardMarkup:
    rows: Rows = [[_button(help_kind_name(kind), ReqKindCb(kind=kind))] for kind in HelpKind]
    return _markup(rows + _nav(back=False))


def story_text(draft: RequestDraft) -> str:
    ask = _(
        "Tell us in your own words what happened and what would help. You can write "
        "(up to {limit} characters), send a voice message, and add up to {files} photos or "
        "documents — a certificate, for example. When you are done, press «Next»."
    ).format(limit=MAX_STORY, files=MAX_FILES)
    return f"{ask}\n\n{story_status(draft)}" if draft.has_story else ask


def story_status(draft: RequestDraft) -> str:
    parts = []
    if draft.story:
        parts.append(
            _("text: {n} of {limit} characters").format(n=len(draft.story), limit=MAX_STORY)
        )
    if draft.files:
        parts.append(_files_line(draft))
    if not parts:
        return _("Nothing added yet.")
    return _("Saved: {parts}. You can add more, or press «Next».").format(parts=", ".join(parts))


def story_keyboard(draft: RequestDraft) -> InlineKeyboardMarkup:
    label = _("Next »") if draft.has_story else _("Skip: I will tell a specialist")
    rows: Rows = [[_button(label, ReqCb(action=ReqAction.NEXT))]]
    if draft.has_story:
        rows.append([_button(_("Start the story again"), ReqCb(action=ReqAction.CLEAR_STORY))])
    return _markup(rows + _nav())


def story_too_long_text(total: int) -> str:
    return _(
        "With this part the story would be {total} characters long, and the limit is {limit}, "
        "so we could not add it. Please send it shorter or as a voice message; everything "
        "you sent before is saved."
    ).format(total=total, limit=MAX_STORY)


def too_many_files_text(kind: str) -> str:
    if kind == "voice":
        return _(
            "A request can hold up to {n} voice messages, so this one was not added. "
            "You can tell the specialist the rest when they get in touch."
        ).format(n=MAX_VOICES)
    return _(
        "A request can hold up to {n} photos or documents, so the rest were not added. "
        "You can send more later in «My requests» once a specialist answers."
    ).format(n=MAX_FILES)


def hint_story() -> str:
    return _("Please type your message, or send a voice message, a photo or a document.")


def urgency_text() -> str:
    return _("How soon do you need help?")


def urgency_keyboard() -> InlineKeyboardMarkup:
    rows: Rows = [[_button(urgency_name(level), ReqUrgencyCb(level=level))] for level in Urgency]
    return _markup(rows + _nav())


def contact_text() -> str:
    return _("How would you like the specialist to contact you?")


def contact_keyboard() -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(contact_name(method), ReqContactCb(method=method))] for method in ContactMethod
    ]
    return _markup(rows + _nav())


def phone_known_text(phone: str) -> str:
    return _("Shall we call you at <b>{phone}</b>?").format(phone=escape(phone))


def phone_known_keyboard() -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(_("Yes, this number"), ReqPhoneCb(keep=True))],
        [_button(_("Share another number"), ReqPhoneCb(keep=False))],
    ]
    return _markup(rows + _nav())


def phone_text() -> str:
    return _(
        "Please press the button «📱 Share my phone number» below the message box: Telegram "
        "will pass your number to us without mistakes. Only the specialist working on your "
        "request will see it.\n\n"
        "If you have changed your mind, press «↩️ Another way to contact me»."
    )


def share_phone_button() -> str:
    return _("📱 Share my phone number")


def other_way_button() -> str:
    return _("↩️ Another way to contact me")


def phone_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=share_phone_button(), request_contact=True)],
            [KeyboardButton(text=other_way_button())],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def hint_phone() -> str:
    return _(
        "So that no digit gets lost, we take the number only through the button "
        "«📱 Share my phone number» below. Or press «↩️ Another way to contact me»."
    )


def foreign_contact_text() -> str:
    return _(
        "This looks like someone else's contact. Please share your own number with the "
        "button «📱 Share my phone number»."
    )


def phone_saved_text() -> str:
    return _("Thank you, the number is saved.")


def time_text() -> str:
    return _("When is it convenient for you? Your local time.")


def time_keyboard() -> InlineKeyboardMarkup:
    rows: Rows = [[_button(time_name(t), ReqTimeCb(time=t))] for t in ContactTime]
    return _markup(rows + _nav())


def review_text(draft: RequestDraft, phone: str | None) -> str:
    contact = contact_name(draft.contact) if draft.contact else "—"
    if draft.contact is ContactMethod.CALL and phone:
        contact = f"{contact}: {escape(phone)}"
    if draft.time is not None and draft.needs_time:
        contact = f"{contact}, {time_name(draft.time).lower()}"
    story = escape(_short(draft.story, 300)) if draft.story else _("not written")
    lines = [
        _("<b>Please check your request</b>"),
        "",
        _("<b>Help:</b> {value}").format(
            value=help_kind_name(draft.category) if draft.category else "—"
        ),
        _("<b>What happened:</b> {value}").format(value=story),
    ]
    if draft.files:
        lines.append(_("<b>Attached:</b> {value}").format(value=_files_line(draft)))
    lines += [
        _("<b>How soon:</b> {value}").format(value=urgency_name(draft.urgency_now)),
        _("<b>Contact:</b> {value}").format(value=contact),
        "",
        _("Everything right? Press «Send the request». You can change any line first."),
    ]
    return "\n".join(lines)


def _files_line(draft: RequestDraft) -> str:
    files = len(draft.files) - draft.count("voice")
    voices = draft.count("voice")
    parts = []
    if files:
        parts.append(ngettext("{n} file", "{n} files", files).format(n=files))
    if voices:
        parts.append(ngettext("{n} voice message", "{n} voice messages", voices).format(n=voices))
    return ", ".join(parts)


def review_keyboard() -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(_("✅ Send the request"), ReqCb(action=ReqAction.SEND))],
        [
            _button(_("✏️ Help"), ReqCb(action=ReqAction.EDIT_CATEGORY)),
            _button(_("✏️ Story"), ReqCb(action=ReqAction.EDIT_STORY)),
        ],
        [
            _button(_("✏️ How soon"), ReqCb(action=ReqAction.EDIT_URGENCY)),
            _button(_("✏️ Contact"), ReqCb(action=ReqAction.EDIT_CONTACT)),
        ],
        [_button(_("🗑 Delete this draft"), ReqCb(action=ReqAction.DISCARD))],
    ]
    return _markup(rows + _nav(back=False))


def discarded_text() -> str:
    return _("The draft is deleted. Whenever you need help, you can start again.")


def submitted_text(
    request: HelpRequest,
    expectation: Expectation,
    emergency: str,
    timezone: str,
    locale: str,
) -> str:
    duration = format_timedelta(
        expectation.within, threshold=1.1, add_direction=False, locale=locale
    )
    when = _("Usually the first answer comes within {duration}.").format(duration=duration)
    if expectation.opens_at is not None:
        back = format_datetime(
            expectation.opens_at, "EEEE, d MMMM, HH:mm", tzinfo=ZoneInfo(timezone), locale=locale
        )
        when = _(
            "The team is not at work right now; it will be back: {time} (your local time), "
            "and your request will be read first thing."
        ).format(time=back)
        if request.priority is Priority.URGENT:
            when += " " + _("Urgent requests reach whoever is on duty even now.")
    how = {
        ContactMethod.CHAT: _("The specialist's answer will come here, in this chat."),
        ContactMethod.CALL: _("The specialist will call you at the time you chose."),
        ContactMethod.VISIT: _("The specialist will write here to agree on a time to meet."),
    }[request.contact_method]
    text = _(
        "<b>Your request № {number} is registered.</b>\n\n"
        "What happens next: a specialist of the «Дети в семье» service will read it and get "
        "in touch with you. {when} {how}\n\n"
        "You can add to the request or follow it in «My requests»."
    ).format(number=request.id, when=when, how=how)
    if request.urgency is Urgency.EMERGENCY or expectation.opens_at is not None:
        text += "\n\n" + _(
            "If you or your child are in danger right now, do not wait: call {emergency}."
        ).format(emergency=escape(emergency))
    return text


def submitted_keyboard() -> InlineKeyboardMarkup:
    return _markup(
        [
            [_button(_("📋 My requests"), MyCb(action=MyAction.LIST))],
            [_button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN))],
        ]
    )


def flagged_story_text() -> str:
    return _(
        "Your words are added to the request, and it will be marked urgent. "
        "Press «Next» when you are ready."
    )


def relayed_text(number: int) -> str:
    return _("Passed to the specialist of your request № {number}.").format(number=number)


def urgent_offer_text() -> str:
    return _(
        "If you wish, we will pass your words to a specialist as an urgent request right "
        "now — press the button below. Your words are saved."
    )


def urgent_offer_keyboard(kind: HelpKind) -> InlineKeyboardMarkup:
    return _markup(
        [
            [_button(_("🆘 Send an urgent request now"), ReqStartCb(kind=kind, urgent=True))],
            [_button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN))],
        ]
    )


def incomplete_text() -> str:
    return _("A few answers are still missing — let us fill them in.")


# -- My requests ----------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _date(moment: datetime, timezone: str, locale: str) -> str:
    return format_datetime(moment, "d MMM, HH:mm", tzinfo=ZoneInfo(timezone), locale=locale)


def my_list_text(requests: list[HelpRequest]) -> str:
    if not requests:
        return _(
            "You have no requests yet. When you need help, press «Ask for help» — "
            "it takes a couple of minutes."
        )
    return _("<b>My requests</b>\n\nChoose one to see what is happening with it.")


def my_list_keyboard(requests: list[HelpRequest]) -> InlineKeyboardMarkup:
    rows: Rows = [
        [
            _button(
                f"№ {r.id} · {help_kind_name(r.help_kind)} · {status_name(r.status)}",
                MyCb(action=MyAction.OPEN, request=r.id),
            )
        ]
        for r in requests
    ]
    if not requests:
        rows.append([_button(_("🤝 Ask for help"), MenuCb(item=MenuItem.REQUEST))])
    rows.append([_button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN))])
    return _markup(rows)


def my_request_text(
    request: HelpRequest,
    history: list[RequestMessage],
    timezone: str,
    locale: str,
    about: str | None = None,
) -> str:
    lines = [
        _("<b>Request № {number}</b> · {kind}").format(
            number=request.id, kind=help_kind_name(request.help_kind)
        ),
        _("Sent: {date}").format(date=_date(request.created_at, timezone, locale)),
        _("Status: {status}").format(status=status_name(request.status)),
    ]
    if about:  # a thing or a place at a point
        lines += ["", about]
    if request.summary:
        lines += ["", escape(_short(request.summary, 500))]
    if history:
        lines += ["", _("<b>Latest messages:</b>")]
        for m in history:
            who = _("You") if m.direction.value == "from_family" else _("Specialist")
            body = escape(_short(m.text, 200)) if m.text else _content_name(m.content_type)
            lines.append(f"{_date(m.created_at, timezone, locale)} · {who}: {body}")
    return "\n".join(lines)


def _content_name(content_type: str) -> str:
    names = {
        "photo": _("[photo]"),
        "voice": _("[voice message]"),
        "document": _("[document]"),
        "video": _("[video]"),
        "audio": _("[audio]"),
    }
    return names.get(content_type, _("[attachment]"))


def my_request_keyboard(request: HelpRequest) -> InlineKeyboardMarkup:
    rows: Rows = []
    if request.status in (RequestStatus.NEW, RequestStatus.IN_PROGRESS):
        rows.append(
            [_button(_("✉️ Add a message or photo"), MyCb(action=MyAction.ADD, request=request.id))]
        )
        rows.append(
            [_button(_("Cancel the request"), MyCb(action=MyAction.CANCEL, request=request.id))]
        )
    rows.append(
        [
            _button(_("« My requests"), MyCb(action=MyAction.LIST)),
            _button(_("🏠 Menu"), MenuCb(item=MenuItem.MAIN)),
        ]
    )
    return _markup(rows)


def my_add_text(number: int) -> str:
    return _(
        "Write what you would like to add to request № {number}, or send a photo, a "
        "document or a voice message. When you are done, press «Done»."
    ).format(number=number)


def my_added_text(number: int) -> str:
    return _("Added to request № {number}. The specialist will see it.").format(number=number)


def my_add_keyboard(number: int) -> InlineKeyboardMarkup:
    return _markup([[_button(_("Done"), MyAddDoneCb(request=number))]])


def cancel_reason_name(reason: CancelReason) -> str:
    names = {
        CancelReason.SOLVED: _("It has sorted itself out"),
        CancelReason.NOT_NEEDED: _("Help is no longer needed"),
        CancelReason.MISTAKE: _("I sent it by mistake"),
        CancelReason.OTHER: _("Another reason"),
    }
    return names[reason]


def cancel_text(number: int) -> str:
    return _(
        "Cancel request № {number}? Please tell us why — it helps us do better. "
        "If you still need help, it is better to keep it."
    ).format(number=number)


def cancel_keyboard(number: int) -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(cancel_reason_name(r), MyCancelCb(request=number, reason=r))] for r in CancelReason
    ]
    rows.append([_button(_("« Keep the request"), MyCb(action=MyAction.OPEN, request=number))])
    return _markup(rows)


def cancelled_text(number: int) -> str:
    return _(
        "Request № {number} is cancelled. If you need help again, we are here: "
        "just press «Ask for help»."
    ).format(number=number)


def request_closed_text() -> str:
    return _("This request is already closed. If you need help, you can send a new one.")


def request_not_found_text() -> str:
    return _("We could not find this request. Here are your requests.")
