"""The numbers a coordinator reports (/stats, the Monday digest): who may see which regions,
the period asked for, and the figures of a scope — requests by category and priority, time
to the first answer and to the close (median and p90), SLA breaches, outcomes and the
programme's indicator, ratings, check-in answers, subscribers and the reach of the news."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.regions import Regions
from db.models import (
    CheckInAnswer,
    ChildStatus,
    HelpKind,
    HelpRequest,
    Outcome,
    Person,
    Priority,
    Role,
)
from db.repositories.figures import FiguresRepo, Scope

LEADS = (Role.COORDINATOR, Role.ADMIN)
PERIOD_DAYS = (7, 30, 90)
MAX_CUSTOM_DAYS = 3 * 366  # a longer range is a mistake more often than a wish


class NotAllowed(Exception):
    """The figures are for coordinators and admins."""


class BadPeriod(Exception):
    """A typed range that cannot be a period; `reason` names what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "format", "order", "future", "long"


def may_see(person: Person) -> bool:
    return person.role in LEADS


def visible_regions(person: Person) -> frozenset[str] | None:
    """The regions whose figures a person may see: None for all of them (an admin, a
    coordinator invited for no one region). A coordinator of one region sees that region."""
    if not may_see(person):
        raise NotAllowed
    if person.role is Role.COORDINATOR and person.stats_region:
        return frozenset({person.stats_region})
    return None


def narrow(person: Person, region: str | None) -> frozenset[str] | None:
    """The regions of a scope: what the person picked, never beyond what they may see."""
    allowed = visible_regions(person)
    if region is None:
        return allowed
    if allowed is not None and region not in allowed:
        raise NotAllowed
    return frozenset({region})


def clock_of(person: Person, regions: Regions, default: str) -> str:
    """The time zone of a person's figures: their own, else their figures' region's."""
    return person.timezone or regions.timezone_of(person.stats_region, default)


# ------------------------------------------------------------------ periods


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def last_days(days: int, now: datetime, tz: str) -> tuple[datetime, datetime]:
    """The last `days` calendar days on the person's clock, today included."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    return _midnight(today - timedelta(days=days - 1), zone), now


def this_month(now: datetime, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    return _midnight(now.astimezone(zone).date().replace(day=1), zone), now


def last_week(now: datetime, tz: str) -> tuple[datetime, datetime]:
    """Monday to Monday before the current week, on the person's clock (the digest's)."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return _midnight(monday - timedelta(days=7), zone), _midnight(monday, zone)


_DAY = r"(\d{1,2})\.(\d{1,2})\.(\d{4})"
_RANGE = re.compile(rf"^\s*{_DAY}\s*(?:[-–—]|\.\.)\s*{_DAY}\s*$")


def parse_range(text: str, now: datetime, tz: str) -> tuple[datetime, datetime]:
    """`01.11.2026–30.11.2026` (a dash of any kind): both days whole, on the person's clock."""
    found = _RANGE.match(text)
    if found is None:
        raise BadPeriod("format")
    d1, m1, y1, d2, m2, y2 = (int(g) for g in found.groups())
    try:
        first, last = date(y1, m1, d1), date(y2, m2, d2)
    except ValueError:
        raise BadPeriod("format") from None
    zone = ZoneInfo(tz)
    if last < first:
        raise BadPeriod("order")
    if first > now.astimezone(zone).date():
        raise BadPeriod("future")
    if (last - first).days >= MAX_CUSTOM_DAYS:
        raise BadPeriod("long")
    return _midnight(first, zone), min(_midnight(last + timedelta(days=1), zone), now)


# ------------------------------------------------------------------ figures


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The q-th quantile (0..1) of sorted values, interpolated between neighbours (as
    spreadsheets' PERCENTILE and numpy do), so a report can be checked by hand."""
    if not ordered:
        return None
    at = (len(ordered) - 1) * q
    low, high = math.floor(at), math.ceil(at)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


@dataclass(frozen=True)
class Durations:
    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Durations:
        ordered = sorted(seconds)
        med, p90 = percentile(ordered, 0.5), percentile(ordered, 0.9)
        return cls(
            len(ordered),
            timedelta(seconds=round(med)) if med is not None else None,
            timedelta(seconds=round(p90)) if p90 is not None else None,
        )


@dataclass(frozen=True)
class Reach:
    broadcasts: int
    messages: int
    people: int


@dataclass(frozen=True)
class Figures:
    scope: Scope
    by_category: dict[HelpKind, int]
    by_priority: dict[Priority, int]
    first_response: Durations
    answered_in_time: int
    sla_due: int  # requests whose SLA ran out in the period
    sla_breaches: int  # ... without a first answer in time
    to_close: Durations
    outcomes: dict[Outcome, int]
    child: dict[ChildStatus, int]  # the programme's indicator, of cases closed
    ratings: dict[int, int]
    checkins: dict[CheckInAnswer, int]
    subscribers: int
    reach: Reach
    responses: tuple[tuple[float, bool], ...]  # seconds to the first answer, in time or not

    @property
    def new(self) -> int:
        return sum(self.by_category.values())

    @property
    def closed(self) -> int:
        return self.to_close.count

    @property
    def at_home_share(self) -> float | None:
        """Of the closed cases whose answer is known: the child lives in the family."""
        known = sum(n for s, n in self.child.items() if s is not ChildStatus.UNKNOWN)
        return self.child.get(ChildStatus.AT_HOME, 0) / known if known else None

    @property
    def rating_average(self) -> float | None:
        count = sum(self.ratings.values())
        return sum(r * n for r, n in self.ratings.items()) / count if count else None


E = TypeVar("E", bound=StrEnum)


def _known(enum: type[E], counts: dict[Any, int]) -> dict[E, int]:
    """Counts keyed by the enum's members, in its order; a value no longer known is left out."""
    return {m: counts[m] for m in enum if counts.get(m)}


async def figures(session: AsyncSession, scope: Scope, now: datetime) -> Figures:
    repo = FiguresRepo(session)
    responses = await repo.first_responses(scope)
    sla_due, breaches = await repo.sla(scope, now)
    broadcasts, messages, people = await repo.reach(scope)
    ratings = await repo.closed_by(scope, HelpRequest.rating)
    return Figures(
        scope=scope,
        by_category=_known(HelpKind, await repo.opened_by(scope, HelpRequest.help_kind)),
        by_priority=_known(Priority, await repo.opened_by(scope, HelpRequest.priority)),
        first_response=Durations.of([s for s, _ok in responses]),
        answered_in_time=sum(1 for _s, ok in responses if ok),
        sla_due=sla_due,
        sla_breaches=breaches,
        to_close=Durations.of(await repo.times_to_close(scope)),
        outcomes=_known(Outcome, await repo.closed_by(scope, HelpRequest.outcome)),
        child=_known(ChildStatus, await repo.closed_by(scope, HelpRequest.child_status)),
        ratings={int(r): ratings[r] for r in sorted(r for r in ratings if r is not None)},
        checkins=_known(CheckInAnswer, await repo.checkin_answers(scope)),
        subscribers=await repo.subscribers(scope),
        reach=Reach(broadcasts, messages, people),
        responses=tuple(responses),
    )


@dataclass(frozen=True)
class Week:
    monday: date
    counts: dict[HelpKind, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def weekly(session: AsyncSession, scope: Scope, tz: str) -> list[Week]:
    """Requests per week (Monday first, on the person's clock) and category, every week of
    the period present even when empty, so a chart's gaps are real."""
    zone = ZoneInfo(tz)
    first = scope.start.astimezone(zone).date()
    last = (scope.end - timedelta(microseconds=1)).astimezone(zone).date()
    monday = first - timedelta(days=first.weekday())
    weeks: dict[date, dict[HelpKind, int]] = {}
    while monday <= last:
        weeks[monday] = {}
        monday += timedelta(days=7)
    for day_text, kind, count in await FiguresRepo(session).per_day(scope, tz):
        day = date.fromisoformat(day_text[:10])
        week = weeks.setdefault(day - timedelta(days=day.weekday()), {})
        week[kind] = week.get(kind, 0) + count
    return [Week(m, _known(HelpKind, c)) for m, c in sorted(weeks.items())]
