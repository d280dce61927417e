"""Service queues: who takes a family's request, when they work, and how soon they answer.

The queues live in `content/queues.toml`, which a coordinator edits; they are loaded and
checked once at start-up (a mistake stops the bot with one clear line). Every kind of help
in every region of `content/regions.toml` (the "another region" entry too) must have a
queue, so that routing never leaves a family without someone to read their request.

- **Routing** (`Queues.route`): the queues that take the kind of help in the family's
  region; a queue that names the region beats one for `"all"` regions; among equals the
  file's order decides. A family with no region, or a region no longer in regions.toml, is
  routed like "another region".
- **Working hours** (`Queue.is_open`, `Queue.next_opening`): opening ranges per weekday in
  the queue's own time zone, closed on its holidays. A range never crosses midnight: a night
  shift is `20:00-24:00` on one day and `00:00-08:00` on the next.
- **SLA** (`Queue.due`): the time to the first answer. Urgent and high priority count the
  clock (nights, weekends and holidays too); normal priority counts only the queue's open
  time, so `normal = 480` is one working day of 8 hours.

All times given and returned are aware datetimes; the results are in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.services.content import CONTENT_DIR, HELP_KINDS, LANGUAGES, ContentError, read_toml
from bot.services.regions import Regions, load_regions
from db.models import Priority

QUEUES_FILE = CONTENT_DIR / "queues.toml"
ALL_REGIONS = "all"  # `regions = ["all"]`: the queue serves every region
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
MAX_NAME = 48  # a queue's name: in lists and headings
MAX_SHORT = 16  # its short name: in forum topic names, "#123 · Жильё · СРОЧНО"
MAX_SLA = 7 * 24 * 60  # minutes: a week

_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_RANGE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_QUEUE_FIELDS = frozenset(
    {"key", "help", "regions", "timezone", "sla", "hours"}
    | {f"{f}_{lang}" for f in ("name", "short") for lang in LANGUAGES}
)
_MAX_DAYS = 3660  # how far ahead the hours are searched (ten years of holidays at most)


# A day's opening ranges: (start, end) in minutes after local midnight, end up to 24 * 60.
DayHours = tuple[tuple[int, int], ...]
Fail = Callable[[str], ContentError]  # a problem -> the one-line error naming where it is


@dataclass(frozen=True)
class Queue:
    key: str
    names: dict[str, str]  # by locale
    shorts: dict[str, str]  # by locale, at most MAX_SHORT characters
    help: tuple[str, ...]  # help categories, in HELP_KINDS order
    regions: tuple[str, ...]  # region keys, or ("all",)
    timezone: str  # IANA name
    sla_minutes: dict[Priority, int]
    hours: tuple[DayHours, ...]  # seven days, Monday first
    holidays: frozenset[date]  # whole days closed, in the queue's time zone

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["ru"]

    def short(self, locale: str) -> str:
        return self.shorts.get(locale) or self.shorts["ru"]

    def sla(self, priority: Priority) -> timedelta:
        """Time to the first answer: on the clock for urgent and high, of open time for
        normal (see `due`)."""
        return timedelta(minutes=self.sla_minutes[Priority(priority)])

    def is_open(self, at: datetime) -> bool:
        return any(start <= at < end for start, end in self._day(_aware(at)))

    def next_opening(self, at: datetime) -> datetime:
        """`at` (in UTC) when the queue is open then, else the start of its next opening."""
        at = _aware(at).astimezone(UTC)
        start, _ = next(self.open_periods(at))
        return max(start, at)

    def due(self, created: datetime, priority: Priority) -> datetime:
        """The SLA deadline, in UTC, of a request created at `created`: for urgent and high
        the SLA on the clock; for normal the moment the queue has been open for the SLA's
        minutes since `created` (nights, closed days and holidays do not count)."""
        created = _aware(created).astimezone(UTC)
        left = self.sla(priority)
        if Priority(priority) is not Priority.NORMAL:  # urgent and high: on the clock
            return created + left
        for start, end in self.open_periods(created):
            start = max(start, created)
            if left <= end - start:
                return start + left
            left -= end - start
        raise AssertionError("unreachable: open_periods never ends")

    def open_periods(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The queue's open periods (start, end) in UTC that end after `since`, in order."""
        since = _aware(since)
        zone = ZoneInfo(self.timezone)
        day = since.astimezone(zone).date()
        for _ in range(_MAX_DAYS):
            for start, end in self._periods(day, zone):
                if end > since:
                    yield start, end
            day += timedelta(days=1)
        # Only a queue with no hours could get here, and the loader refuses one.
        raise RuntimeError(f"queue {self.key!r} is not open once in {_MAX_DAYS} days")

    def _day(self, at: datetime) -> list[tuple[datetime, datetime]]:
        zone = ZoneInfo(self.timezone)
        return self._periods(at.astimezone(zone).date(), zone)

    def _periods(self, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        midnight = datetime.combine(day, time())
        return [
            (
                (midnight + timedelta(minutes=start)).replace(tzinfo=zone).astimezone(UTC),
                (midnight + timedelta(minutes=end)).replace(tzinfo=zone).astimezone(UTC),
            )
            for start, end in self.hours[day.weekday()]
        ]


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("queues need aware datetimes (UTC), not naive ones")
    return at


@dataclass(frozen=True)
class Queues:
    items: tuple[Queue, ...]
    region_keys: frozenset[str]  # the regions of regions.toml
    other_region: str | None  # "another region": where no or an unknown region routes

    def get(self, key: str) -> Queue | None:
        return next((q for q in self.items if q.key == key), None)

    def route(self, category: str, region: str | None) -> Queue:
        """The queue for a kind of help in a region: one naming the region before one for
        all regions, then the file's order. No region, or one regions.toml no longer has,
        routes like "another region". LookupError only when no queue takes the category
        there (the loader's coverage check rules that out for the regions it was given)."""
        if region is None or region not in self.region_keys:
            region = self.other_region
        named = [q for q in self.items if category in q.help and region in q.regions]
        if named:
            return named[0]
        for queue in self.items:
            if category in queue.help and ALL_REGIONS in queue.regions:
                return queue
        raise LookupError(f"no queue takes help {category!r} in region {region!r}")


def load_queues(path: Path = QUEUES_FILE, regions: Regions | None = None) -> Queues:
    """Read and check the queues; `regions` (default: content/regions.toml) are the regions
    a queue may name and that every kind of help must be covered in."""
    if regions is None:
        regions = load_regions()
    where = path.name
    data = read_toml(path)
    unknown = sorted(set(data) - {"queue", "holidays"})
    if unknown:
        raise ContentError(f"content error: {where}: unknown table {unknown[0]!r}")
    shared = _shared_holidays(data.get("holidays", {}), where)
    entries = data.get("queue", [])
    if not isinstance(entries, list) or not entries:
        raise ContentError(f"content error: {where}: no [[queue]] entries")
    region_keys = {r.key for r in regions.items}
    items: list[Queue] = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ContentError(f"content error: {where}: queue {n} is not a [[queue]] table")
        queue = _queue(entry, n, region_keys, shared, where)
        if any(q.key == queue.key for q in items):
            raise ContentError(f"content error: {where}: queue key {queue.key!r} is used twice")
        items.append(queue)
    for region in regions.items:
        for category in HELP_KINDS:
            if not any(
                category in q.help and (region.key in q.regions or ALL_REGIONS in q.regions)
                for q in items
            ):
                raise ContentError(
                    f"content error: {where}: no queue takes help {category!r} in region "
                    f"{region.key!r} (add it to a queue of the region or to one for all)"
                )
    other = next((r.key for r in regions.items if r.timezone is None), None)
    return Queues(tuple(items), frozenset(region_keys), other)


def _shared_holidays(table: Any, where: str) -> frozenset[date]:
    if not isinstance(table, dict):
        raise ContentError(f"content error: {where}: [holidays] must be a table with dates")
    unknown = sorted(set(table) - {"dates"})
    if unknown:
        raise ContentError(f"content error: {where}: [holidays]: unknown field {unknown[0]!r}")
    prefix = f"content error: {where}: [holidays] dates: "
    return _dates(table.get("dates", []), lambda problem: ContentError(prefix + problem))


def _dates(value: Any, fail: Fail) -> frozenset[date]:
    if not isinstance(value, list):
        raise fail('needs a list of dates like "2027-01-01"')
    days: set[date] = set()
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            if not isinstance(item, str) or not _DATE.fullmatch(item):
                raise ValueError
            days.add(date.fromisoformat(item))
        except ValueError:
            raise fail(f"{item!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(days)


def _queue(
    entry: dict[str, Any], n: int, regions: set[str], shared: frozenset[date], where: str
) -> Queue:
    key = entry.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ContentError(
            f"content error: {where}: queue {n} needs a short key (a-z, 0-9, _; up to 32)"
        )

    def fail(problem: str) -> ContentError:
        return ContentError(f"content error: {where}: queue {key!r}: {problem}")

    unknown = sorted(set(entry) - _QUEUE_FIELDS)
    if unknown:
        raise fail(f"unknown field {unknown[0]!r}")
    texts: dict[str, dict[str, str]] = {}
    for field, limit in (("name", MAX_NAME), ("short", MAX_SHORT)):
        given = {lang: entry.get(f"{field}_{lang}") for lang in LANGUAGES}
        if not all(isinstance(v, str) and v.strip() for v in given.values()):
            raise fail(f"{field} needs both " + " and ".join(f"{field}_{x}" for x in LANGUAGES))
        texts[field] = {lang: str(v).strip() for lang, v in given.items()}
        for lang, text in texts[field].items():
            if len(text) > limit:
                raise fail(f"{field}_{lang} {text!r} is longer than {limit} characters")
    help_ = entry.get("help")
    if not isinstance(help_, list) or not help_:
        raise fail("help needs a list of categories")
    for category in help_:
        if category not in HELP_KINDS:
            raise fail(f"unknown help category {category!r}")
    served = entry.get("regions")
    if not isinstance(served, list) or not served:
        raise fail(f'regions needs a list of region keys, or ["{ALL_REGIONS}"]')
    for region in served:
        if not isinstance(region, str) or (region != ALL_REGIONS and region not in regions):
            raise fail(f"unknown region {region!r} (a key of regions.toml, or {ALL_REGIONS!r})")
    if ALL_REGIONS in served and len(served) > 1:
        raise fail(f'regions: "{ALL_REGIONS}" stands alone (it already means every region)')
    timezone = entry.get("timezone")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(f"unknown time zone {timezone!r}") from None
    hours_table = entry.get("hours")
    if not isinstance(hours_table, dict):
        raise fail("needs a [queue.hours] table (mon … sun, holidays)")
    return Queue(
        key=key,
        names=texts["name"],
        shorts=texts["short"],
        help=tuple(c for c in HELP_KINDS if c in help_),
        regions=tuple(dict.fromkeys(str(r) for r in served)),
        timezone=str(timezone),
        sla_minutes=_sla(entry.get("sla"), fail),
        hours=_hours(hours_table, fail),
        holidays=(
            _dates(hours_table["holidays"], lambda p: fail(f"hours.holidays: {p}"))
            if "holidays" in hours_table
            else shared
        ),
    )


def _sla(table: Any, fail: Fail) -> dict[Priority, int]:
    if not isinstance(table, dict):
        raise fail("needs a [queue.sla] table (urgent, high, normal minutes)")
    unknown = sorted(set(table) - set(Priority))
    if unknown:
        raise fail(f"sla: unknown field {unknown[0]!r} (urgent, high, normal)")
    minutes: dict[Priority, int] = {}
    for priority in Priority:
        value = table.get(priority.value)
        if type(value) is not int or not 0 < value <= MAX_SLA:
            raise fail(f"sla.{priority} needs whole minutes from 1 to {MAX_SLA}, not {value!r}")
        minutes[priority] = value
    if minutes[Priority.URGENT] > minutes[Priority.HIGH]:
        raise fail("sla.urgent must not be longer than sla.high")
    return minutes


def _hours(table: dict[str, Any], fail: Fail) -> tuple[DayHours, ...]:
    unknown = sorted(set(table) - {*WEEKDAYS, "holidays"})
    if unknown:
        raise fail(f"hours: unknown field {unknown[0]!r} (mon … sun, holidays)")
    week: list[DayHours] = []
    for day in WEEKDAYS:
        text = table.get(day)
        if not isinstance(text, str):
            raise fail(f'hours.{day} is missing (like "09:00-18:00"; "" for a closed day)')
        ranges: list[tuple[int, int]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            found = _RANGE.fullmatch(part)
            if found is None:
                raise fail(
                    f'hours.{day}: {part!r} is not like "09:00-18:00" '
                    '(several: "09:00-13:00,14:00-18:00")'
                )
            h1, m1, h2, m2 = (int(g) for g in found.groups())
            if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
                raise fail(f"hours.{day}: {part!r} is not a time of day (00:00 to 24:00)")
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if end <= start:
                raise fail(
                    f"hours.{day}: {part!r} ends before it starts "
                    "(a night shift is 20:00-24:00 and 00:00-08:00 on the next day)"
                )
            if ranges and start < ranges[-1][1]:
                raise fail(f"hours.{day}: {part!r} overlaps or comes before the range before it")
            ranges.append((start, end))
        week.append(tuple(ranges))
    if not any(week):
        raise fail("hours: the queue is never open (give at least one day its hours)")
    return tuple(week)
