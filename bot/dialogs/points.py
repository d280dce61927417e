"""Things for the child and a safe place to stay: what a family sees of the points near them
and asks for, the point's card in its staff topic, /stock, and the reminders of a return.

A family's choices travel in the buttons' data (every step is one tap, and a restart or a
double tap loses nothing); the point's staff see their screens in the bot's default language.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from html import escape
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date, format_datetime

from bot.dialogs.onboarding import MenuCb, MenuItem, _button
from bot.dialogs.request import ReqStartCb, Rows
from bot.services.points import (
    RENTAL,
    Age,
    Asked,
    Change,
    Counts,
    NotAPointRequest,
    Party,
    Point,
    PointFigures,
    Points,
    Thing,
    When,
    asked,
)
from bot.services.regions import Regions
from db.models import HelpKind, HelpRequest, Loan, LoanStatus

# ------------------------------------------------------------------ the family's side


class Step(StrEnum):
    OVERVIEW = "o"  # the region's points and what is free
    REGIONS = "r"  # choose another region
    THING = "i"  # an item chosen (rental): which point
    POINT = "p"  # a point chosen: the child's age, or who comes
    WHO = "a"  # age or party chosen: when
    WHEN = "w"  # when chosen: the summary
    SEND = "s"


class PtCb(CallbackData, prefix="pt"):
    """k: "rental" or "shelter" as r/s; g region; i item or place; p point; a age or party;
    w when — short, to stay within Telegram's 64 bytes of button data."""

    k: str
    s: Step
    g: str = ""
    i: str = ""
    p: str = ""
    a: str = ""
    w: str = ""


def kind_code(kind: str) -> str:
    return "r" if kind == RENTAL else "s"


def kind_of(code: str) -> str:
    return RENTAL if code == "r" else "shelter"


def _as_of(moment: datetime, timezone: str, locale: str) -> str:
    return format_datetime(moment, "HH:mm", tzinfo=ZoneInfo(timezone), locale=locale)


def day_text(moment: datetime | date, timezone: str, locale: str) -> str:
    if isinstance(moment, datetime):
        moment = moment.astimezone(ZoneInfo(timezone)).date()
    return format_date(moment, "d MMMM y", locale=locale)


def free_text(kind: str, count: int) -> str:
    if count <= 0:
        return _("none free now")
    if kind == RENTAL:
        return ngettext("{n} free", "{n} free", count).format(n=count)
    return ngettext("{n} place free", "{n} places free", count).format(n=count)


def point_lines(point: Point, locale: str) -> list[str]:
    name = escape(point.name(locale))
    if point.example:
        name += " " + _("(an example)")
    where = escape(point.text("town", locale) or "")
    if point.text("address", locale):
        where += ", " + escape(point.text("address", locale) or "")
    lines = [f"<b>{name}</b>", f"📍 {where}"]
    if point.text("hours", locale):
        lines.append("🕘 " + escape(point.text("hours", locale) or ""))
    return lines


def overview_text(
    kind: str,
    region: str,
    region_name: str,
    points: Points,
    found: dict[str, dict[str, Counts]],
    now: datetime,
    timezone: str,
    locale: str,
) -> str:
    if kind == RENTAL:
        lines = [
            _(
                "🧸 <b>Things for the child</b>\n"
                "At social rental points «Мой малыш» you can borrow a pram, a cot, a car seat "
                "and other things for free, for as long as the child needs them."
            )
        ]
    else:
        lines = [
            _(
                "🏠 <b>A safe place to stay</b>\n"
                "Crisis centres and flats where a mother with children can live for free for a "
                "while — from a few days up to three months — and get help to find a way out."
            )
        ]
    region_points = points.in_region(region, kind)
    if not region_points:
        lines += [
            "",
            _("In {region} there is no such point in the bot yet.").format(
                region=escape(region_name)
            ),
        ]
        lines.append(_("You can still ask for this help: the team will look for a way with you."))
        return "\n".join(lines)
    lines += [
        "",
        _("<b>{region}</b>, as of {time}:").format(
            region=escape(region_name), time=_as_of(now, timezone, locale)
        ),
    ]
    for point in region_points:
        lines += ["", *point_lines(point, locale)]
        for key in point.things:
            thing = points.things[key]
            label = thing.name(locale)
            if kind != RENTAL:
                label += f" ({thing.text('for', locale)})"
            lines.append(f"• {escape(label)} — {free_text(kind, found[point.key][key].free)}")
    lines += [
        "",
        _(
            "What is free changes during the day; the point's team confirms it when they "
            "answer. You can ask even when none is free now — you will be on the waiting list."
        ),
    ]
    if kind != RENTAL:
        lines += [
            "",
            _(
                "If you have nowhere to sleep tonight, ask for a place below and choose "
                "«Tonight»: such a request goes to the front of the line."
            ),
        ]
    return "\n".join(lines)


def overview_keyboard(
    kind: str, region: str, points: Points, found: dict[str, dict[str, Counts]], locale: str
) -> InlineKeyboardMarkup:
    k = kind_code(kind)
    rows: Rows = []
    region_points = points.in_region(region, kind)
    if kind == RENTAL:
        for key in dict.fromkeys(t for p in region_points for t in p.things):
            free = sum(found[p.key][key].free for p in region_points if key in p.things)
            label = f"{points.things[key].name(locale)} · {free_text(kind, free)}"
            rows.append([_button(label, PtCb(k=k, s=Step.THING, g=region, i=key))])
    else:
        for point in region_points:
            free = sum(c.free for c in found[point.key].values())
            label = f"{point.name(locale)} · {free_text(kind, free)}"
            rows.append([_button(label, PtCb(k=k, s=Step.POINT, i=point.things[0], p=point.key))])
    if not region_points:
        help_kind = HelpKind.RENTAL if kind == RENTAL else HelpKind.CRISIS_HOUSING
        rows.append([_button(_("🤝 Ask for this help"), ReqStartCb(kind=help_kind))])
    if kind != RENTAL:
        rows.append([_button(_("🆘 Emergency contacts"), MenuCb(item=MenuItem.SOS))])
    rows.append([_button(_("🌍 Another region"), PtCb(k=k, s=Step.REGIONS))])
    rows.append([_button(_("« Menu"), MenuCb(item=MenuItem.MAIN))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def regions_text() -> str:
    return _("Which region should we look in?")


def regions_keyboard(kind: str, regions: Regions, locale: str) -> InlineKeyboardMarkup:
    k = kind_code(kind)
    rows: Rows = [
        [_button(r.name(locale), PtCb(k=k, s=Step.OVERVIEW, g=r.key))] for r in regions.items
    ]
    rows.append([_button(_("« Menu"), MenuCb(item=MenuItem.MAIN))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def choose_point_text(thing: Thing, locale: str) -> str:
    return _("Where would you like to get it: <b>{thing}</b>?").format(
        thing=escape(thing.name(locale))
    )


def choose_point_keyboard(
    kind: str, thing: Thing, options: list[tuple[Point, int]], region: str, locale: str
) -> InlineKeyboardMarkup:
    k = kind_code(kind)
    rows: Rows = [
        [
            _button(
                f"{point.name(locale)} · {free_text(kind, free)}",
                PtCb(k=k, s=Step.POINT, i=thing.key, p=point.key),
            )
        ]
        for point, free in options
    ]
    rows.append([_button(_("« Back"), PtCb(k=k, s=Step.OVERVIEW, g=region))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def who_name(kind: str, code: str) -> str:
    if kind == RENTAL:
        names = {
            Age.EXPECTING: _("we are expecting a baby"),
            Age.UNDER_6M: _("under 6 months"),
            Age.UNDER_1Y: _("6 to 12 months"),
            Age.UNDER_3Y: _("1 to 3 years"),
            Age.UNDER_7Y: _("3 to 7 years"),
            Age.OLDER: _("7 years or older"),
        }
        return names[Age(code)] if code in {a.value for a in Age} else "—"
    parties = {
        Party.ONE: _("the mother and one child"),
        Party.TWO: _("the mother and two children"),
        Party.MORE: _("the mother and three or more children"),
        Party.EXPECTING: _("a mother-to-be"),
    }
    return parties[Party(code)] if code in {p.value for p in Party} else "—"


def who_text(kind: str, point: Point, thing: Thing, locale: str) -> str:
    lines = [*point_lines(point, locale), ""]
    if kind == RENTAL:
        lines.append(
            _("<b>{thing}</b> ({ages}).").format(
                thing=escape(thing.name(locale)), ages=escape(thing.text("ages", locale))
            )
        )
        lines.append(_("How old is the child it is for?"))
    else:
        lines.append(
            _("<b>{place}</b> — for {who}.").format(
                place=escape(thing.name(locale)), who=escape(thing.text("for", locale))
            )
        )
        lines.append(_("Who will come?"))
    return "\n".join(lines)


def who_keyboard(kind: str, point: Point, thing: Thing) -> InlineKeyboardMarkup:
    k = kind_code(kind)
    codes = [a.value for a in Age] if kind == RENTAL else [p.value for p in Party]
    rows: Rows = [
        [_button(who_name(kind, c), PtCb(k=k, s=Step.WHO, i=thing.key, p=point.key, a=c))]
        for c in codes
    ]
    rows.append([_button(_("« Back"), PtCb(k=k, s=Step.OVERVIEW, g=point.region))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def when_name(when: When) -> str:
    return {
        When.TONIGHT: _("tonight — we have nowhere to sleep"),
        When.SOON: _("in the next few days"),
        When.MONTH: _("within a month"),
        When.LATER: _("later — put us on the list"),
    }[when]


def when_text(kind: str) -> str:
    return _("When do you need it?") if kind == RENTAL else _("When do you need the place?")


def when_keyboard(kind: str, point: Point, thing: str, who: str) -> InlineKeyboardMarkup:
    k = kind_code(kind)
    options = (
        (When.SOON, When.MONTH, When.LATER)
        if kind == RENTAL
        else (When.TONIGHT, When.SOON, When.LATER)
    )
    rows: Rows = [
        [
            _button(
                ("🆘 " if w is When.TONIGHT else "") + when_name(w).capitalize(),
                PtCb(k=k, s=Step.WHEN, i=thing, p=point.key, a=who, w=w.value),
            )
        ]
        for w in options
    ]
    rows.append([_button(_("« Back"), PtCb(k=k, s=Step.POINT, i=thing, p=point.key))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def asked_line(points: Points, request: HelpRequest, locale: str) -> str | None:
    """What a request for a thing or a place asks, for «My requests»."""
    try:
        a = asked(points, request)
    except NotAPointRequest:
        return None
    return f"{escape(a.thing.name(locale))} — {escape(a.point.name(locale))}"


def review_text(kind: str, a: Asked, locale: str) -> str:
    lines = [_("<b>Please check your request:</b>"), ""]
    lines.append(f"{escape(a.thing.name(locale))} — {escape(a.point.name(locale))}")
    label = _("Child:") if kind == RENTAL else _("Who comes:")
    lines.append(f"{label} {who_name(kind, a.who)}")
    lines.append(_("When: {when}").format(when=when_name(a.when)))
    lines += [
        "",
        _(
            "The point's team will answer here, in this chat: whether they can hold it for "
            "you, and where and when to come."
        )
        if kind == RENTAL
        else _(
            "The centre's team will answer here, in this chat, and agree with you on the day "
            "you can come and what to bring."
        ),
    ]
    return "\n".join(lines)


def review_keyboard(kind: str, a: Asked) -> InlineKeyboardMarkup:
    k = kind_code(kind)
    data = {"k": k, "i": a.thing.key, "p": a.point.key, "a": a.who, "w": a.when.value}
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("✅ Send the request"), PtCb(s=Step.SEND, **data))],
            [_button(_("✏️ Change"), PtCb(k=k, s=Step.POINT, i=a.thing.key, p=a.point.key))],
            [_button(_("« Menu"), MenuCb(item=MenuItem.MAIN))],
        ]
    )


def already_sent_text(number: int) -> str:
    return _(
        "This request is already with the team: № {number}. You can follow it in «My requests»."
    ).format(number=number)


def not_found_text() -> str:
    return _("This point or thing is no longer in the list. Here is what there is now.")


def sent_extra_text(kind: str) -> str:
    if kind == RENTAL:
        return _("If the point can hold one for you, it waits for you for 48 hours.")
    return _(
        "If you have nowhere to go before the team answers, call the numbers in "
        "«Emergency contacts»."
    )


# ------------------------------------------------------------------ the point's card


class ResAction(StrEnum):
    RESERVE = "reserve"
    HAND = "hand"  # asks for the return date
    UNTIL = "until"  # opt: months of the loan
    DECLINE = "decline"  # asks why
    WHY = "why"  # opt: the reason
    CANCEL_HOLD = "unhold"
    RETURNED = "returned"
    EXTEND = "extend"  # asks how long
    LONGER = "longer"  # opt: months (items) or days (stays)
    REFUSE = "refuse"  # the family asked to keep it longer, and it cannot be
    ACCEPT = "accept"  # asks the arrival day
    ARRIVE = "arrive"  # opt: days from today; asks the stay
    STAY = "stay"  # opt: arrival offset * 1000 + days
    MOVED_OUT = "out"
    BACK = "back"


class ResCb(CallbackData, prefix="res"):
    action: ResAction
    request: int
    opt: int = 0


class DeclineReason(StrEnum):
    NONE_FREE = "0"
    NOT_SUITABLE = "1"
    OTHER = "2"


LOAN_MONTHS = (1, 3, 6, 12)  # the item type's usual term is starred
STAY_DAYS = (7, 14, 30, 60, 90)
ARRIVAL_DAYS = (0, 1, 2, 3)


def _res(text: str, action: ResAction, request: int, opt: int = 0) -> list:  # type: ignore[type-arg]
    return [_button(text, ResCb(action=action, request=request, opt=opt))]


def counts_line(kind: str, c: Counts) -> str:
    if kind == RENTAL:
        return _("free {free} · held {held} · on loan {lent}").format(
            free=c.free, held=c.reserved, lent=c.lent
        )
    return _("free {free} · taken {lent}").format(free=c.free, lent=c.lent)


def card_text(
    number: int,
    a: Asked,
    c: Counts,
    loan: Loan | None,
    now: datetime,
    timezone: str,
    locale: str,
) -> str:
    kind = a.point.kind
    icon = "🧸" if kind == RENTAL else "🏠"
    lines = [
        f"{icon} <b>{escape(a.thing.name(locale))}</b> · "
        + _("request #{number}").format(number=number),
        escape(a.point.name(locale)),
        (_("Child: {who}") if kind == RENTAL else _("Who comes: {who}")).format(
            who=who_name(kind, a.who)
        ),
        _("When: {when}").format(when=when_name(a.when)),
        "",
        _("<b>Now</b> ({time}): {counts}").format(
            time=_as_of(now, timezone, locale), counts=counts_line(kind, c)
        ),
        "",
        loan_state_text(kind, loan, timezone, locale),
    ]
    return "\n".join(lines)


def loan_state_text(kind: str, loan: Loan | None, timezone: str, locale: str) -> str:
    def day(moment: datetime | None) -> str:
        return day_text(moment, timezone, locale) if moment else "—"

    if loan is None:
        return _("Nothing is held for this family yet.")
    if loan.status is LoanStatus.RESERVED:
        held = format_datetime(
            loan.reserved_until, "d MMMM, HH:mm", tzinfo=ZoneInfo(timezone), locale=locale
        )
        return _("Held for the family until {time}.").format(time=held)
    if loan.status is LoanStatus.ACTIVE:
        if kind == RENTAL:
            return _("With the family since {start}; to be returned by {due}.").format(
                start=day(loan.started_at), due=day(loan.due_at)
            )
        return _("Staying since {start}; planned until {due}.").format(
            start=day(loan.started_at), due=day(loan.due_at)
        )
    if loan.status is LoanStatus.RETURNED:
        if kind == RENTAL:
            return _("Returned on {day}.").format(day=day(loan.ended_at))
        return _("Moved out on {day}.").format(day=day(loan.ended_at))
    return _("The hold ended on {day}.").format(day=day(loan.ended_at))


def card_keyboard(number: int, kind: str, loan: Loan | None) -> InlineKeyboardMarkup:
    rows: Rows = []
    status = loan.status if loan is not None else None
    if kind == RENTAL:
        if status in (None, LoanStatus.RELEASED, LoanStatus.RETURNED):
            rows.append(_res(_("📌 Hold for 48 h"), ResAction.RESERVE, number))
            rows.append(_res(_("🤝 Hand over"), ResAction.HAND, number))
            rows.append(_res(_("🚫 Decline"), ResAction.DECLINE, number))
        elif status is LoanStatus.RESERVED:
            rows.append(_res(_("🤝 Hand over"), ResAction.HAND, number))
            rows.append(_res(_("↩️ Cancel the hold"), ResAction.CANCEL_HOLD, number))
        else:
            rows.append(_res(_("📥 Returned"), ResAction.RETURNED, number))
            rows.append(_res(_("🔁 Extend the loan"), ResAction.EXTEND, number))
    elif status is not LoanStatus.ACTIVE:
        rows.append(_res(_("🏠 Accept"), ResAction.ACCEPT, number))
        rows.append(_res(_("🚫 Decline"), ResAction.DECLINE, number))
    else:
        rows.append(_res(_("🚪 Moved out"), ResAction.MOVED_OUT, number))
        rows.append(_res(_("🔁 Extend the stay"), ResAction.EXTEND, number))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def until_text(default: date, locale: str) -> str:
    return _("Until when is it lent? The usual term ends on {day}.").format(
        day=format_date(default, "d MMMM y", locale=locale)
    )


def loan_terms(usual: int) -> list[int]:
    return sorted({*LOAN_MONTHS, usual})


def until_keyboard(number: int, usual: int) -> InlineKeyboardMarkup:
    def label(months: int) -> str:
        text = ngettext("{n} month", "{n} months", months).format(n=months)
        return f"⭐ {text}" if months == usual else text

    rows: Rows = [_res(label(m), ResAction.UNTIL, number, m) for m in loan_terms(usual)]
    rows.append(_res(_("« Back"), ResAction.BACK, number))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def longer_text(kind: str) -> str:
    if kind == RENTAL:
        return _("How much longer may the family keep it (counted from the current date)?")
    return _("How much longer may the family stay (counted from the planned end)?")


def longer_keyboard(number: int, kind: str, asked_by_family: bool) -> InlineKeyboardMarkup:
    if kind == RENTAL:
        rows: Rows = [
            _res(ngettext("+{n} month", "+{n} months", m).format(n=m), ResAction.LONGER, number, m)
            for m in (1, 3, 6)
        ]
    else:
        rows = [
            _res(ngettext("+{n} day", "+{n} days", d).format(n=d), ResAction.LONGER, number, d)
            for d in (7, 14, 30)
        ]
    if asked_by_family:
        rows.append(_res(_("🙅 It cannot be kept longer"), ResAction.REFUSE, number))
    rows.append(_res(_("« Back"), ResAction.BACK, number))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def decline_text() -> str:
    return _(
        "Why can the point not give it? The family is told gently, with another point that "
        "has it free, if any."
    )


def decline_reason_name(reason: DeclineReason) -> str:
    return {
        DeclineReason.NONE_FREE: _("none free now"),
        DeclineReason.NOT_SUITABLE: _("not suitable for this child"),
        DeclineReason.OTHER: _("the point cannot give it now"),
    }[reason]


def decline_keyboard(number: int) -> InlineKeyboardMarkup:
    rows: Rows = [
        _res(decline_reason_name(r), ResAction.WHY, number, int(r.value)) for r in DeclineReason
    ]
    rows.append(_res(_("« Back"), ResAction.BACK, number))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def declined_note(number: int, reason: DeclineReason) -> str:
    return _(
        "Request #{number} declined: {reason}. The family is told, with other points that "
        "have it free."
    ).format(number=number, reason=decline_reason_name(reason))


def arrival_text() -> str:
    return _("When does the family arrive?")


def arrival_name(offset: int) -> str:
    names = {0: _("today"), 1: _("tomorrow")}
    return names.get(offset) or ngettext("in {n} day", "in {n} days", offset).format(n=offset)


def arrival_keyboard(number: int) -> InlineKeyboardMarkup:
    rows: Rows = [
        _res(arrival_name(d).capitalize(), ResAction.ARRIVE, number, d) for d in ARRIVAL_DAYS
    ]
    rows.append(_res(_("« Back"), ResAction.BACK, number))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def stay_text(offset: int, max_days: int) -> str:
    return _("Arrival {when}. For how long is the stay planned (up to {max} days)?").format(
        when=arrival_name(offset), max=max_days
    )


def stay_keyboard(number: int, offset: int, max_days: int) -> InlineKeyboardMarkup:
    rows: Rows = [
        _res(
            ngettext("{n} day", "{n} days", d).format(n=d),
            ResAction.STAY,
            number,
            offset * 1000 + d,
        )
        for d in STAY_DAYS
        if d <= max_days
    ]
    rows.append(_res(_("« Back"), ResAction.ACCEPT, number))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def none_free_text() -> str:
    return _(
        "None is free now: another colleague has just taken the last one. Add one in /stock "
        "if it is back."
    )


def changed_meanwhile_text() -> str:
    return _("This has changed meanwhile: the card shows how things are now.")


def date_past_text() -> str:
    return _("That date has already passed or is not later than the current one.")


def family_asks_longer_note(number: int, thing: str) -> str:
    return _(
        "The family of request #{number} asks to keep it longer: {thing}. The point decides."
    ).format(number=number, thing=escape(thing))


def family_brings_note(number: int, thing: str) -> str:
    return _("The family of request #{number} says they will bring it back: {thing}.").format(
        number=number, thing=escape(thing)
    )


def stay_ending_note(number: int, due: str) -> str:
    return _(
        "The stay of the family of request #{number} is planned to end on {day}. Please plan "
        "the next step with the family: where they will live, documents, support after the "
        "move. Extend the stay on the card if they need more time."
    ).format(number=number, day=due)


def hold_ended_note(number: int) -> str:
    return _("The 48-hour hold for request #{number} has ended; the item is free again.").format(
        number=number
    )


def staff_done_text(action: ResAction) -> str:
    return {
        ResAction.RESERVE: _("Held for 48 hours; the family is told."),
        ResAction.UNTIL: _("Handed over; the family is told the return date."),
        ResAction.WHY: _("Declined; the family is told."),
        ResAction.CANCEL_HOLD: _("The hold is cancelled."),
        ResAction.RETURNED: _("Returned: it counts as free again."),
        ResAction.LONGER: _("Extended; the family is told."),
        ResAction.REFUSE: _("The family is told."),
        ResAction.STAY: _("The place is taken; the family is told."),
        ResAction.MOVED_OUT: _("Moved out: the place is free again."),
    }.get(action, "")


# ------------------------------------------------------------------ what the family is told


def where_text(point: Point, locale: str) -> str:
    """The point's name, town, address (or that the team will give it) and hours."""
    where = escape(point.name(locale)) + ", " + escape(point.text("town", locale) or "")
    if point.text("address", locale):
        where += ", " + escape(point.text("address", locale) or "")
    else:
        where += " " + _("(the team will tell you the address)")
    if point.text("hours", locale):
        where += "; " + escape(point.text("hours", locale) or "")
    return where


def family_reserved_text(a: Asked, until: datetime, timezone: str, locale: str) -> str:
    return _(
        "Good news: it is held for you — {thing} — until {time} (your local time).\n"
        "Where: {where}.\nIf you cannot come by then, just write here: the team will see what "
        "can be done."
    ).format(
        thing=escape(a.thing.name(locale).lower()),
        time=format_datetime(until, "d MMMM, HH:mm", tzinfo=ZoneInfo(timezone), locale=locale),
        where=where_text(a.point, locale),
    )


def family_lent_text(a: Asked, due: datetime, timezone: str, locale: str) -> str:
    return _(
        "Done: it is yours for now — {thing}. We hope it helps!\nPlease bring it back by {day}; "
        "we will remind you a week before. If you need it longer, just tell us."
    ).format(thing=escape(a.thing.name(locale).lower()), day=day_text(due, timezone, locale))


def family_declined_text(
    a: Asked, reason: DeclineReason, others: list[tuple[Point, int]], locale: str
) -> str:
    lines = [
        _("Unfortunately, it cannot be given now — {thing}: {reason}.").format(
            thing=escape(a.thing.name(locale).lower()),
            reason=decline_reason_name(reason),
        )
    ]
    if others:
        lines += ["", _("It is free now at:")]
        for point, free in others[:3]:
            lines.append(f"• {where_text(point, locale)} — {free_text(point.kind, free)}")
        lines += ["", _("You can ask there with the button below.")]
    else:
        lines += [
            "",
            _(
                "Your request stays with the team: write here if anything changes, and they "
                "will keep looking with you."
            ),
        ]
    return "\n".join(lines)


def family_declined_keyboard(
    kind: str, others: list[tuple[Point, int]], locale: str
) -> InlineKeyboardMarkup | None:
    if not others:
        return None
    rows: Rows = [
        [_button(point.name(locale), PtCb(k=kind_code(kind), s=Step.OVERVIEW, g=point.region))]
        for point, _free in others[:3]
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def family_released_text(a: Asked, locale: str) -> str:
    return _(
        "The hold has ended: 48 hours have passed, and it is free for others again — {thing}. "
        "If you still need it, write here, and the team will see what they can do."
    ).format(thing=escape(a.thing.name(locale).lower()))


def family_stay_text(a: Asked, loan: Loan, timezone: str, locale: str) -> str:
    return _(
        "A place is waiting for you from {start}, planned until {end}.\nWhere: {where}.\n"
        "The team will write to you here about what to bring. You are not alone."
    ).format(
        start=day_text(loan.started_at or loan.created_at, timezone, locale),
        end=day_text(loan.due_at or loan.created_at, timezone, locale),
        where=where_text(a.point, locale),
    )


def family_returned_text(kind: str) -> str:
    if kind == RENTAL:
        return _("Thank you for bringing it back! Now another family can use it.")
    return _(
        "We wish you and your children all the best in your new place. If you need anything, "
        "we are here: just write."
    )


def family_extended_text(kind: str, due: datetime, timezone: str, locale: str) -> str:
    day = day_text(due, timezone, locale)
    if kind == RENTAL:
        return _("The point has agreed: you can keep it until {day}.").format(day=day)
    return _("Your stay is extended until {day}.").format(day=day)


def family_refused_text(due: datetime, timezone: str, locale: str) -> str:
    return _(
        "The point needs it back: other families are waiting for it. Please bring it by "
        "{day}. If that is hard for you, write here, and the team will help you find a way."
    ).format(day=day_text(due, timezone, locale))


class LoanAction(StrEnum):
    LONGER = "longer"
    BRING = "bring"


class LoanCb(CallbackData, prefix="loan"):
    action: LoanAction
    loan: int


def reminder_text(
    step: str, thing: Thing, point: Point, due: datetime, timezone: str, locale: str
) -> str:
    day = day_text(due, timezone, locale)
    if step == "week":
        return _(
            "A gentle reminder: the day to bring it back is {day} — {thing}. If you still "
            "need it, you can ask to keep it longer."
        ).format(thing=escape(thing.name(locale).lower()), day=day)
    return _(
        "Today is the day to bring it back — {thing}. Where: {where}. If it is hard to come "
        "today, just tell us: we will find a way together."
    ).format(thing=escape(thing.name(locale).lower()), where=where_text(point, locale))


def reminder_keyboard(loan_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    _("🔁 Ask to keep it longer"), LoanCb(action=LoanAction.LONGER, loan=loan_id)
                )
            ],
            [_button(_("👍 I'll bring it back"), LoanCb(action=LoanAction.BRING, loan=loan_id))],
        ]
    )


def family_longer_asked_text() -> str:
    return _("Thank you, we have asked the point. Their answer will come here.")


def family_bring_text(point: Point, locale: str) -> str:
    return _("Thank you! We will tell the point. Where: {where}.").format(
        where=where_text(point, locale)
    )


def loan_gone_text() -> str:
    return _("This loan has already ended — thank you! Nothing else is needed.")


# ------------------------------------------------------------------ /stock


class StockCb(CallbackData, prefix="stk"):
    point: str
    item: str = ""
    change: str = ""  # a Change, or "" to show


def stock_text(
    point: Point,
    points: Points,
    found: dict[str, Counts],
    overdue: list[Loan],
    now: datetime,
    timezone: str,
    locale: str,
) -> str:
    lines = [
        _("📦 <b>{point}</b>, as of {time}").format(
            point=escape(point.name(locale)), time=_as_of(now, timezone, locale)
        ),
        "",
    ]
    for key in point.things:
        c = found[key]
        lines.append(
            f"<b>{escape(points.things[key].name(locale))}</b>: {counts_line(point.kind, c)}"
        )
    if overdue:
        lines += [
            "",
            _("<b>Past the return date</b> (a gentle word with the family, never pressure):"),
        ]
        for loan in overdue[:20]:
            lines.append(
                _("• request #{number}: {thing}, due {day}").format(
                    number=loan.request_id or "—",
                    thing=escape(points.things[loan.item_key].name(locale))
                    if loan.item_key in points.things
                    else loan.item_key,
                    day=day_text(loan.due_at or now, timezone, locale),
                )
            )
    lines += ["", _("Choose a line to change its count; each tap changes it by one.")]
    return "\n".join(lines)


def stock_keyboard(point: Point, points: Points, locale: str) -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(points.things[key].name(locale), StockCb(point=point.key, item=key))]
        for key in point.things
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def stock_item_text(point: Point, thing: Thing, c: Counts, locale: str) -> str:
    return "\n".join(
        [
            f"📦 <b>{escape(point.name(locale))}</b>",
            f"<b>{escape(thing.name(locale))}</b>: {counts_line(point.kind, c)}",
            _("Written off: {n}").format(n=c.written_off),
        ]
    )


def change_name(kind: str, change: Change) -> str:
    if kind == RENTAL:
        return {
            Change.ADD: _("➕ Add one"),
            Change.LEND: _("📤 Lent out (outside the bot)"),
            Change.RETURN: _("📥 Came back (outside the bot)"),
            Change.WRITE_OFF: _("🗑 Write one off"),
        }[change]
    return {
        Change.ADD: _("➕ Add a place"),
        Change.LEND: _("📤 A place taken (outside the bot)"),
        Change.RETURN: _("📥 A place freed (outside the bot)"),
        Change.WRITE_OFF: _("🗑 Remove a place"),
    }[change]


def stock_item_keyboard(point: Point, thing: str) -> InlineKeyboardMarkup:
    rows: Rows = [
        [_button(change_name(point.kind, c), StockCb(point=point.key, item=thing, change=c.value))]
        for c in Change
    ]
    rows.append([_button(_("« Back"), StockCb(point=point.key))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def stock_points_text() -> str:
    return _("Which point?")


def stock_points_keyboard(points: list[Point], locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(p.name(locale), StockCb(point=p.key))] for p in points]
    )


def stock_none_text() -> str:
    return _(
        "/stock is for the staff of a rental point or a crisis centre: in the point's staff "
        "group, or here if you are in its team."
    )


def stock_nothing_text(change: Change) -> str:
    if change is Change.RETURN:
        return _(
            "Nothing to take back: every one on loan is a loan in the bot — press «Returned» "
            "on its card."
        )
    return _("None free to change.")


def figures_lines(figures: list[PointFigures], locale: str) -> list[str]:
    """The points in the coordinators' /queues."""
    lines = [_("<b>Rental points and crisis places</b>")]
    for f in figures:
        if f.point.kind == RENTAL:
            line = _("{point}: on loan {lent}, held {held}, free {free}, waiting {waiting}")
        else:
            line = _("{point}: places taken {lent}, free {free}, waiting {waiting}")
        text = line.format(
            point=escape(f.point.name(locale)), lent=f.lent, held=f.reserved, free=f.free,
            waiting=f.waiting,
        )  # fmt: skip
        if f.average_stay_days is not None:
            text += _(", average stay {days} days").format(days=round(f.average_stay_days))
        lines.append("• " + text)
    return lines
