"""/stats: the figures screen, its period, region and queue pickers, the words of the
charts and exports, and the Monday digest's text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date, format_timedelta

from bot.dialogs.case import child_name, outcome_name, priority_name
from bot.dialogs.checkin import answer_name
from bot.dialogs.request import status_name
from bot.services.charts import ChartWords, hours_labels
from bot.services.exports import Sheet
from bot.services.stats import Durations, Figures
from db.models import (
    CheckInAnswer,
    ChildStatus,
    HelpKind,
    Outcome,
    Priority,
    RequestStatus,
)


class StatsFlow(StatesGroup):
    screen = State()  # the figures screen; its scope is in the state's data
    custom = State()  # waiting for a typed range


class StatsAction(StrEnum):
    PERIOD = "p"  # value: 7, 30, 90, month, custom
    REGIONS = "rs"  # the region picker
    REGION = "r"  # value: a region key, or "" for all
    QUEUES = "qs"
    QUEUE = "q"  # value: a queue key, or "" for all
    BACK = "b"
    CHARTS = "c"
    CSV = "csv"
    XLSX = "x"
    AUDIT = "a"


class StatsCb(CallbackData, prefix="st1"):
    action: StatsAction
    value: str = ""


class DigestCb(CallbackData, prefix="dg1"):
    on: bool


PERIODS = ("7", "30", "90", "month", "custom")


def _button(text: str, action: StatsAction, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=StatsCb(action=action, value=value).pack())


def category_name(kind: HelpKind) -> str:
    """Short, and with no emoji: they label chart bars and spreadsheet cells too."""
    names = {
        HelpKind.CRISIS_HOUSING: _("Crisis housing"),
        HelpKind.PSYCHOLOGICAL: _("Psychologist"),
        HelpKind.LEGAL: _("Legal help"),
        HelpKind.RENTAL: _("Baby things on loan"),
        HelpKind.MATERIAL: _("Material support"),
        HelpKind.ADDICTION: _("Addiction"),
        HelpKind.DAY_CARE: _("Day care"),
        HelpKind.RESPITE: _("Respite care"),
        HelpKind.PREGNANCY: _("Pregnancy, newborn"),
        HelpKind.TRAINING: _("Training and work"),
        HelpKind.MENTORING: _("Mentoring"),
        HelpKind.OTHER: _("Other"),
    }
    return names[kind]


def label(value: StrEnum) -> str:
    """A stored value in words, for the exports' cells."""
    if isinstance(value, HelpKind):
        return category_name(value)
    if isinstance(value, Priority):
        return priority_name(value)
    if isinstance(value, RequestStatus):
        return status_name(value)
    if isinstance(value, Outcome):
        return outcome_name(value)
    if isinstance(value, ChildStatus):
        return child_name(value)
    return value.value


def period_title(kind: str) -> str:
    """The period above the figures."""
    return _("Your dates") if kind == "custom" else period_name(kind)


def period_name(kind: str) -> str:
    """The period on its button."""
    names = {
        "7": _("7 days"),
        "30": _("30 days"),
        "90": _("90 days"),
        "month": _("This month"),
        "custom": _("Dates…"),
    }
    return names.get(kind, kind)


def span_text(start: datetime, end: datetime, tz: str, locale: str) -> str:
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return "{} – {}".format(
        format_date(first, "d MMM y", locale=locale), format_date(last, "d MMM y", locale=locale)
    )


def _duration(value: timedelta | None, locale: str) -> str:
    if value is None:
        return "—"
    return format_timedelta(value, threshold=1.1, add_direction=False, locale=locale)


def _durations(d: Durations, locale: str) -> str:
    return _("median {median}, 90% within {p90}").format(
        median=_duration(d.median, locale), p90=_duration(d.p90, locale)
    )


def _counts(counts: Mapping[Any, int], name: Callable[[Any], str]) -> str:
    return ", ".join(f"{name(k)} {n}" for k, n in counts.items()) or "—"


def figures_text(f: Figures, span: str, period: str, region: str, queue: str, locale: str) -> str:
    lines = [
        _("📊 <b>Figures</b> · {period}: {span}").format(period=escape(period), span=span),
        _("Region: {region} · Queue: {queue}").format(region=escape(region), queue=escape(queue)),
        "",
        _("<b>New requests: {n}</b>").format(n=f.new),
        _("By kind: {counts}").format(counts=_counts(f.by_category, category_name)),
        _("By priority: {counts}").format(counts=_counts(f.by_priority, priority_name)),
        "",
        _("<b>First answer</b>: {durations}").format(
            durations=_durations(f.first_response, locale)
        ),
        ngettext(
            "{n} request answered, {ok} of them within the SLA",
            "{n} requests answered, {ok} of them within the SLA",
            f.first_response.count,
        ).format(n=f.first_response.count, ok=f.answered_in_time),
        _("Past the SLA without an answer in time: {late} of {due}").format(
            late=f.sla_breaches, due=f.sla_due
        ),
        "",
        _("<b>Cases closed: {n}</b>, {durations}").format(
            n=f.closed, durations=_durations(f.to_close, locale)
        ),
        _("Outcomes: {counts}").format(counts=_counts(f.outcomes, outcome_name)),
        _indicator(f),
        _("Ratings: {ratings}").format(ratings=_ratings(f)),
        _("Check-ins: {counts}").format(counts=_checkins(f)),
        "",
        _news(f),
    ]
    return "\n".join(lines)


def _news(f: Figures) -> str:
    return _(
        "<b>News</b>: {subscribers} subscribers; {broadcasts} broadcasts reached {people} "
        "people ({messages} messages)"
    ).format(
        subscribers=f.subscribers,
        broadcasts=f.reach.broadcasts,
        people=f.reach.people,
        messages=f.reach.messages,
    )


def _indicator(f: Figures) -> str:
    share = f.at_home_share
    if share is None:
        return _("The child lives in the family: —")
    known = sum(n for s, n in f.child.items() if s is not ChildStatus.UNKNOWN)
    return _("<b>The child lives in the family</b>: {n} of {known} ({share})").format(
        n=f.child.get(ChildStatus.AT_HOME, 0), known=known, share=f"{share:.0%}"
    )


def _ratings(f: Figures) -> str:
    average = f.rating_average
    if average is None:
        return "—"
    stars = ", ".join(f"{'★' * r} {n}" for r, n in sorted(f.ratings.items(), reverse=True))
    return _("{average} on average ({stars})").format(average=f"{average:.1f}", stars=stars)


def _checkins(f: Figures) -> str:
    return ", ".join(
        f"{answer_name(a)} {f.checkins.get(a, 0)}"
        for a in (CheckInAnswer.BETTER, CheckInAnswer.SAME, CheckInAnswer.WORSE)
    )


def screen_keyboard(period: str, admin: bool, pickers: bool) -> InlineKeyboardMarkup:
    mark = {p: ("• " if p == period else "") for p in PERIODS}
    rows = [
        [_button(mark[p] + period_name(p), StatsAction.PERIOD, p) for p in ("7", "30", "90")],
        [_button(mark[p] + period_name(p), StatsAction.PERIOD, p) for p in ("month", "custom")],
    ]
    if pickers:
        rows.append(
            [
                _button(_("📍 Region"), StatsAction.REGIONS),
                _button(_("🗂 Queue"), StatsAction.QUEUES),
            ]
        )
    else:
        rows.append([_button(_("🗂 Queue"), StatsAction.QUEUES)])
    rows.append([_button(_("📈 Charts"), StatsAction.CHARTS)])
    rows.append([_button(_("📄 CSV"), StatsAction.CSV), _button(_("📗 XLSX"), StatsAction.XLSX)])
    if admin:
        rows.append([_button(_("🧾 Audit log"), StatsAction.AUDIT)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def picker_keyboard(
    action: StatsAction, choices: list[tuple[str, str]], chosen: str
) -> InlineKeyboardMarkup:
    """One button per choice (key, name), "all" first."""
    every = _("All")
    rows = [[_button(("• " if not chosen else "") + every, action, "")]]
    for key, name in choices:
        rows.append([_button(("• " if key == chosen else "") + name, action, key)])
    rows.append([_button(_("« Back"), StatsAction.BACK)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("« Back"), StatsAction.BACK)]])


def region_picker_text() -> str:
    return _("Which region's figures would you like to see?")


def queue_picker_text() -> str:
    return _("Which queue's figures would you like to see?")


def all_regions() -> str:
    return _("all regions")


def all_queues() -> str:
    return _("all queues")


def ask_range_text() -> str:
    return _(
        "Please type the first and the last day of the period, like this: "
        "<code>01.11.2026–30.11.2026</code>"
    )


def bad_range_text(reason: str) -> str:
    texts = {
        "format": _(
            "I could not read these dates. Please type them like this: "
            "<code>01.11.2026–30.11.2026</code> — the first day, a dash, the last day."
        ),
        "order": _("The first day comes after the last one. Please type them the other way round."),
        "future": _("This period has not begun yet. Please choose days up to today."),
        "long": _("That is more than three years. Please choose a shorter period."),
    }
    return texts.get(reason, texts["format"])


def not_allowed_text() -> str:
    return _(
        "The figures are for the programme's coordinators. If you need them for your work, "
        "please ask your coordinator — they can share the charts and files with you."
    )


def charts_caption(name: str, span: str) -> str:
    captions = {
        "requests-by-week": _("Requests per week, by kind · {span}"),
        "first-response": _("Time to the first answer against the SLA · {span}"),
        "outcomes": _("How cases ended · {span}"),
    }
    return captions.get(name, "{span}").format(span=span)


def export_caption(rows: int, span: str) -> str:
    return ngettext(
        "{n} request · {span}. No names, phones or words of families: numbers only.",
        "{n} requests · {span}. No names, phones or words of families: numbers only.",
        rows,
    ).format(n=rows, span=span)


def audit_caption(rows: int, span: str) -> str:
    return ngettext(
        "The audit log: {n} entry · {span}", "The audit log: {n} entries · {span}", rows
    ).format(n=rows, span=span)


def admins_only_text() -> str:
    return _("The audit log is for administrators.")


def working_text() -> str:
    return _("Preparing…")


def chart_words(locale: str) -> ChartWords:
    return ChartWords(
        locale=locale,
        weekly_title=_("Requests per week"),
        weekly_axis=_("requests"),
        categories={k: category_name(k) for k in HelpKind},
        response_title=_("Time to the first answer"),
        response_axis=_("hours"),
        response_count=_("requests"),
        in_time=_("within the SLA"),
        late=_("past the SLA"),
        hours=hours_labels(),
        outcomes_title=_("How cases ended"),
        outcomes={o: outcome_name(o) for o in Outcome},
        indicator=_("The child lives in the family: {share}"),
        empty=_("No data for this period"),
    )


def export_sheet(tz: str) -> Sheet:
    return Sheet(
        headers=(
            _("Request"),
            _("Region"),
            _("Queue"),
            _("Kind of help"),
            _("Priority"),
            _("Status"),
            _("Created"),
            _("First answer"),
            _("SLA due"),
            _("Closed"),
            _("Outcome"),
            _("Child lives in the family"),
            _("Rating"),
        ),
        label=label,
        tz=tz,
        title=_("Requests"),
    )


def audit_headers() -> tuple[str, ...]:
    return (_("Entry"), _("When"), _("Who (person id)"), _("Action"), _("Object"),
            _("Object id"), _("Details"))  # fmt: skip


# ------------------------------------------------------------------ the digest


def digest_text(f: Figures, span: str, region: str, locale: str) -> str:
    """The Monday digest: short enough for a photo's caption (1024 characters)."""
    share = f.at_home_share
    return "\n".join(
        [
            _("📊 <b>The week in figures</b> · {span}").format(span=span),
            _("Region: {region}").format(region=escape(region)),
            _("New requests: {n}").format(n=f.new),
            _("First answer: {durations}").format(durations=_durations(f.first_response, locale)),
            _("Past the SLA: {late} of {due}").format(late=f.sla_breaches, due=f.sla_due),
            _("Cases closed: {n}").format(n=f.closed),
            _("The child lives in the family: {share}").format(
                share=f"{share:.0%}" if share is not None else "—"
            ),
            _("Check-ins: {counts}").format(counts=_checkins(f)),
            "",
            _("More in /stats. The digest can be turned off in /settings."),
        ]
    )


def digest_button(on: bool) -> InlineKeyboardButton:
    text = _("📊 Turn the Monday digest off") if on else _("📊 Turn the Monday digest on")
    return InlineKeyboardButton(text=text, callback_data=DigestCb(on=not on).pack())


def digest_state_text(on: bool) -> str:
    return _("Monday digest of the figures: on") if on else _("Monday digest of the figures: off")


def digest_changed_text(on: bool) -> str:
    if on:
        return _("The digest is on: every Monday at 9:00 you will get the week's figures.")
    return _("The digest is off. The figures are always in /stats.")
