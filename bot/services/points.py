"""Rental points «Мой малыш» and crisis places: what a point has (`content/points.toml`),
how many are free (the `stock` table, kept by the point's staff), and the life of one item or
place given to a family — held for 48 hours, lent with a return date, returned; a stay from
arrival to moving out (the `loans` table).

Every count changes by one conditional UPDATE (db/repositories/points.py), so two
specialists lending the last pram at once get one success and one "it is gone".
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.content import CONTENT_DIR, LANGUAGES, ContentError, read_toml
from bot.services.queues import Queues
from bot.services.regions import Regions
from db.base import utcnow
from db.models import HelpKind, HelpRequest, Loan, LoanStatus, Person, Stock, WorkKind
from db.repositories import AuditRepo, LoansRepo, RequestsRepo, StockRepo, WorkRepo

POINTS_FILE = CONTENT_DIR / "points.toml"
RENTAL, SHELTER = "rental", "shelter"
HOLD = timedelta(hours=48)  # how long a reserved item waits for the family
REMIND_AT = time(11, 0)  # a return reminder reaches the family late in the morning, their time
STAY_NOTICE = timedelta(days=3)  # the team hears of a stay's end this long before it
_KEY = re.compile(r"[a-z][a-z0-9_]{0,15}")


@dataclass(frozen=True)
class Thing:
    """A kind of item a rental point lends, or a kind of place a shelter gives."""

    key: str
    texts: dict[str, dict[str, str]]  # field -> locale -> text
    loan_months: int = 0  # items: the default loan
    max_days: int = 0  # places: the longest planned stay

    def text(self, field: str, locale: str) -> str:
        given = self.texts.get(field, {})
        return given.get(locale) or given.get("ru") or ""

    def name(self, locale: str) -> str:
        return self.text("name", locale)


@dataclass(frozen=True)
class Point:
    key: str
    kind: str  # RENTAL or SHELTER
    region: str
    queue: str
    texts: dict[str, dict[str, str]]
    things: tuple[str, ...]  # item keys (rental) or place keys (shelter)
    example: bool = False

    def text(self, field: str, locale: str) -> str | None:
        given = self.texts.get(field, {})
        return given.get(locale) or given.get("ru")

    def name(self, locale: str) -> str:
        return self.text("name", locale) or self.key

    @property
    def help_kind(self) -> HelpKind:
        return HelpKind.RENTAL if self.kind == RENTAL else HelpKind.CRISIS_HOUSING


@dataclass(frozen=True)
class Points:
    things: dict[str, Thing]
    items: tuple[Point, ...]

    def get(self, key: str) -> Point | None:
        return next((p for p in self.items if p.key == key), None)

    def thing(self, key: str) -> Thing | None:
        return self.things.get(key)

    def in_region(self, region: str | None, kind: str) -> tuple[Point, ...]:
        return tuple(p for p in self.items if p.region == region and p.kind == kind)

    def regions(self, kind: str) -> list[str]:
        return list(dict.fromkeys(p.region for p in self.items if p.kind == kind))

    def of_queues(self, queue_keys: set[str]) -> tuple[Point, ...]:
        return tuple(p for p in self.items if p.queue in queue_keys)


def load_points(
    path: Path = POINTS_FILE, regions: Regions | None = None, queues: Queues | None = None
) -> Points:
    where = path.name
    data = read_toml(path)

    def fail(problem: str) -> ContentError:
        return ContentError(f"content error: {where}: {problem}")

    def texts(entry: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...]) -> Any:
        out: dict[str, dict[str, str]] = {}
        for field in (*required, *optional):
            given = {lang: entry.get(f"{field}_{lang}") for lang in LANGUAGES}
            if field in required and not all(
                isinstance(v, str) and v.strip() for v in given.values()
            ):
                raise fail(f"{entry.get('key')!r} needs {field}_ru and {field}_en")
            out[field] = {
                k: v.strip() for k, v in given.items() if isinstance(v, str) and v.strip()
            }
        return out

    things: dict[str, Thing] = {}
    for table, required, number in (
        ("item", ("name", "ages"), "loan_months"),
        ("place", ("name", "for"), "max_days"),
    ):
        for entry in data.get(table, []):
            key = entry.get("key")
            if not isinstance(key, str) or not _KEY.fullmatch(key) or key in things:
                raise fail(f"[[{table}]] {key!r}: a unique key, a-z 0-9 _, up to 16 characters")
            value = entry.get(number)
            if not isinstance(value, int) or value <= 0:
                raise fail(f"[[{table}]] {key!r} needs {number}, a whole number above 0")
            things[key] = Thing(key, texts(entry, required, ()), **{number: value})
    points: list[Point] = []
    for entry in data.get("point", []):
        key = entry.get("key")
        if not isinstance(key, str) or not _KEY.fullmatch(key) or any(p.key == key for p in points):
            raise fail(f"point {key!r}: a unique key, a-z 0-9 _, up to 16 characters")
        kind = entry.get("kind")
        if kind not in (RENTAL, SHELTER):
            raise fail(f'point {key!r}: kind is "rental" or "shelter"')
        field = "items" if kind == RENTAL else "places"
        owned = entry.get(field)
        wanted = "item" if kind == RENTAL else "place"
        if not isinstance(owned, list) or not owned:
            raise fail(f"point {key!r} needs {field}, a list of [[{wanted}]] keys")
        for thing in owned:
            if thing not in things or bool(things[thing].loan_months) != (kind == RENTAL):
                raise fail(f"point {key!r}: {thing!r} is not a [[{wanted}]] key")
        region, queue = entry.get("region"), entry.get("queue")
        if regions is not None and regions.get(region) is None:
            raise fail(f"point {key!r}: unknown region {region!r}")
        if queues is not None and queues.get(str(queue)) is None:
            raise fail(f"point {key!r}: unknown queue {queue!r}")
        points.append(
            Point(
                key=key,
                kind=kind,
                region=str(region),
                queue=str(queue),
                texts=texts(entry, ("name", "town"), ("address", "hours")),
                things=tuple(owned),
                example=bool(entry.get("example", False)),
            )
        )
    return Points(things, tuple(points))


# ------------------------------------------------------------------ what is free


@dataclass(frozen=True)
class Counts:
    free: int = 0
    reserved: int = 0
    lent: int = 0
    written_off: int = 0

    @classmethod
    def of(cls, row: Stock | None) -> Counts:
        if row is None:
            return cls()
        return cls(row.free, row.reserved, row.lent, row.written_off)


async def counts(session: AsyncSession, point: Point) -> dict[str, Counts]:
    rows = await StockRepo(session).of_point(point.key)
    return {thing: Counts.of(rows.get(thing)) for thing in point.things}


async def counts_of(
    session: AsyncSession, points: tuple[Point, ...]
) -> dict[str, dict[str, Counts]]:
    rows = await StockRepo(session).of_points([p.key for p in points])
    return {p.key: {t: Counts.of(rows.get((p.key, t))) for t in p.things} for p in points}


# ------------------------------------------------------------------ what a family asks for


class Age(enum.StrEnum):
    """The child's age, for an item (one letter: it travels in a button's data)."""

    EXPECTING = "e"
    UNDER_6M = "0"
    UNDER_1Y = "6"
    UNDER_3Y = "1"
    UNDER_7Y = "3"
    OLDER = "7"


class Party(enum.StrEnum):
    """Who comes to a crisis place with the mother."""

    ONE = "1"
    TWO = "2"
    MORE = "3"
    EXPECTING = "e"


class When(enum.StrEnum):
    TONIGHT = "t"  # places only: nowhere to sleep tonight, a red flag
    SOON = "s"  # in the next few days
    MONTH = "m"  # within a month
    LATER = "l"  # later: put us on the list


NO_SHELTER_FLAG = "no_shelter"  # red_flags.toml's flag for "no roof tonight"


def resource(point: Point, thing: str, who: str, when: When) -> dict[str, str]:
    """What a request for a thing or a place carries (HelpRequest.resource)."""
    return {"point": point.key, "item": thing, "who": who, "when": when.value}


# ------------------------------------------------------------------ the point's side


class NoneFree(Exception):
    """Nothing of the kind is free now (another specialist took the last one)."""


class WrongState(Exception):
    """The loan is no longer where the button expected it (a double tap, an old card)."""


class NotAPointRequest(Exception):
    pass


@dataclass(frozen=True)
class Asked:
    point: Point
    thing: Thing
    who: str
    when: When


def asked(points: Points, request: HelpRequest) -> Asked:
    data = request.resource or {}
    point = points.get(str(data.get("point")))
    thing = points.thing(str(data.get("item")))
    if point is None or thing is None or thing.key not in point.things:
        raise NotAPointRequest(request.id)
    try:
        when = When(str(data.get("when")))
    except ValueError:
        when = When.LATER
    return Asked(point, thing, str(data.get("who") or ""), when)


def _audit(
    session: AsyncSession, actor: Person | None, action: str, loan: Loan, **more: Any
) -> None:
    AuditRepo(session).add(
        action,
        actor_id=actor.id if actor else None,
        object_type="loan",
        object_id=loan.id,
        details={
            "point": loan.point_key,
            "item": loan.item_key,
            "request": loan.request_id,
            **more,
        },
    )


async def held(session: AsyncSession, request: HelpRequest) -> Loan | None:
    return await LoansRepo(session).held_for(request.id)


async def last(session: AsyncSession, request: HelpRequest) -> Loan | None:
    return await LoansRepo(session).last_for(request.id)


async def reserve(
    session: AsyncSession, points: Points, request: HelpRequest, actor: Person
) -> Loan:
    """Hold one for the family for 48 hours; released by due work if not handed over."""
    a = asked(points, request)
    if await held(session, request) is not None:
        raise WrongState(request.id)
    if not await StockRepo(session).move(a.point.key, a.thing.key, "free", "reserved"):
        raise NoneFree(a.thing.key)
    now = utcnow()
    loan = await LoansRepo(session).add(
        Loan(
            point_key=a.point.key, item_key=a.thing.key, request_id=request.id,
            person_id=request.person_id, status=LoanStatus.RESERVED, reserved_until=now + HOLD,
        )
    )  # fmt: skip
    # Not the family's item (no person_id): /forget must not take the point's count with it.
    WorkRepo(session).add(WorkKind.RESERVATION_END, loan.id, now + HOLD)
    _audit(session, actor, "stock.reserve", loan)
    return loan


async def release(session: AsyncSession, loan: Loan, actor: Person | None) -> bool:
    """A reservation ends unused (its time ran out, or the team cancelled it): once."""
    if not await LoansRepo(session).change(
        loan.id, LoanStatus.RESERVED, LoanStatus.RELEASED, ended_at=utcnow()
    ):
        return False
    await StockRepo(session).move(loan.point_key, loan.item_key, "reserved", "free")
    await WorkRepo(session).cancel(loan.id, (WorkKind.RESERVATION_END,))
    await session.refresh(loan)
    _audit(session, actor, "stock.release", loan, expired=actor is None)
    return True


def default_return(points: Points, loan_or_thing: str, start: datetime, timezone: str) -> date:
    thing = points.thing(loan_or_thing)
    months = thing.loan_months if thing else 6
    return add_months(start.astimezone(ZoneInfo(timezone)).date(), months)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise ValueError(day)


def _local(day: date, at: time, timezone: str) -> datetime:
    return datetime.combine(day, at, ZoneInfo(timezone)).astimezone(UTC)


async def hand_over(
    session: AsyncSession,
    points: Points,
    request: HelpRequest,
    actor: Person,
    until: date,
    timezone: str,
) -> Loan:
    """The family has the item now, until `until` (a day in the family's time zone): the
    one held for them, or one of the free ones."""
    a = asked(points, request)
    now = utcnow()
    due = _local(until, REMIND_AT, timezone)
    if due <= now:
        raise ValueError("the return date is in the past")
    loans, stock = LoansRepo(session), StockRepo(session)
    loan = await held(session, request)
    if loan is not None and loan.status is LoanStatus.RESERVED:
        if not await loans.change(
            loan.id, LoanStatus.RESERVED, LoanStatus.ACTIVE, started_at=now, due_at=due
        ):
            raise WrongState(loan.id)
        await stock.move(a.point.key, a.thing.key, "reserved", "lent")
        await WorkRepo(session).cancel(loan.id, (WorkKind.RESERVATION_END,))
        await session.refresh(loan)
    elif loan is None:
        if not await stock.move(a.point.key, a.thing.key, "free", "lent"):
            raise NoneFree(a.thing.key)
        loan = await loans.add(
            Loan(
                point_key=a.point.key, item_key=a.thing.key, request_id=request.id,
                person_id=request.person_id, status=LoanStatus.ACTIVE, started_at=now, due_at=due,
            )
        )  # fmt: skip
    else:
        raise WrongState(loan.id)
    _plan_return(session, loan, timezone)
    _audit(session, actor, "stock.lend", loan, until=until.isoformat())
    return loan


def _plan_return(session: AsyncSession, loan: Loan, timezone: str) -> None:
    """Two gentle reminders: a week before the return date and on the day, late morning."""
    assert loan.due_at is not None
    day = loan.due_at.astimezone(ZoneInfo(timezone)).date()
    work = WorkRepo(session)
    now = utcnow()
    for step, before in (("week", 7), ("day", 0)):
        at = _local(day - timedelta(days=before), REMIND_AT, timezone)
        if at > now:
            work.add(
                WorkKind.LOAN_REMIND, loan.id, at, person_id=loan.person_id,
                payload={"step": step, "due": loan.due_at.isoformat()},
            )  # fmt: skip


async def extend(
    session: AsyncSession, points: Points, loan: Loan, actor: Person, until: date, timezone: str
) -> None:
    """A new return date (or planned end of a stay): reminders follow it."""
    if loan.status is not LoanStatus.ACTIVE:
        raise WrongState(loan.id)
    due = _local(until, REMIND_AT, timezone)
    if due <= utcnow() or (loan.due_at is not None and due <= loan.due_at):
        raise ValueError("not later than the current date")
    await WorkRepo(session).cancel(loan.id, (WorkKind.LOAN_REMIND, WorkKind.STAY_ENDING))
    loan.due_at, loan.extended = due, loan.extended + 1
    point = points.get(loan.point_key)
    if point is not None and point.kind == SHELTER:
        _plan_stay_notice(session, loan)
    else:
        _plan_return(session, loan, timezone)
    _audit(session, actor, "stock.extend", loan, until=until.isoformat())


async def give_back(session: AsyncSession, loan: Loan, actor: Person) -> None:
    """The item is back at the point, or the family moved out: the place is free again."""
    if not await LoansRepo(session).change(
        loan.id, LoanStatus.ACTIVE, LoanStatus.RETURNED, ended_at=utcnow()
    ):
        raise WrongState(loan.id)
    await StockRepo(session).move(loan.point_key, loan.item_key, "lent", "free")
    await WorkRepo(session).cancel(loan.id, (WorkKind.LOAN_REMIND, WorkKind.STAY_ENDING))
    await session.refresh(loan)
    _audit(session, actor, "stock.return", loan)


async def accept_stay(
    session: AsyncSession,
    points: Points,
    request: HelpRequest,
    actor: Person,
    arrival: date,
    days: int,
    timezone: str,
) -> Loan:
    """A place is the family's from the day of arrival for the planned stay; it counts as
    taken until they move out."""
    a = asked(points, request)
    if not 1 <= days <= a.thing.max_days:
        raise ValueError("stay out of range")
    if await held(session, request) is not None:
        raise WrongState(request.id)
    if not await StockRepo(session).move(a.point.key, a.thing.key, "free", "lent"):
        raise NoneFree(a.thing.key)
    start = _local(arrival, time(12, 0), timezone)
    loan = await LoansRepo(session).add(
        Loan(
            point_key=a.point.key, item_key=a.thing.key, request_id=request.id,
            person_id=request.person_id, status=LoanStatus.ACTIVE, started_at=start,
            due_at=start + timedelta(days=days),
        )
    )  # fmt: skip
    _plan_stay_notice(session, loan)
    _audit(session, actor, "stock.stay", loan, days=days)
    return loan


def _plan_stay_notice(session: AsyncSession, loan: Loan) -> None:
    assert loan.due_at is not None and loan.started_at is not None
    at = max(loan.due_at - STAY_NOTICE, loan.started_at, utcnow())
    WorkRepo(session).add(WorkKind.STAY_ENDING, loan.id, at)


async def alternatives(
    session: AsyncSession, points: Points, point: Point, thing: str
) -> list[tuple[Point, int]]:
    """Other points of the same kind with the thing free now: the region's first."""
    others = [p for p in points.items if p.kind == point.kind and p.key != point.key]
    others = [p for p in others if thing in p.things]
    found = await counts_of(session, tuple(others))
    ranked = sorted(others, key=lambda p: (p.region != point.region, p.key))
    return [(p, found[p.key][thing].free) for p in ranked if found[p.key][thing].free > 0]


def decline_audit(session: AsyncSession, actor: Person, request: HelpRequest, reason: str) -> None:
    AuditRepo(session).add(
        "stock.decline", actor_id=actor.id, object_type="request", object_id=request.id,
        details={"reason": reason},
    )  # fmt: skip


async def get_loan(session: AsyncSession, loan_id: int) -> Loan | None:
    return await LoansRepo(session).get(loan_id)


async def family_loan(
    session: AsyncSession, person: Person, loan_id: int
) -> tuple[Loan, HelpRequest] | None:
    """A loan or stay of this family's that is still going (a forged id finds none)."""
    loan = await LoansRepo(session).get(loan_id)
    if loan is None or loan.person_id != person.id or loan.status is not LoanStatus.ACTIVE:
        return None
    request = await RequestsRepo(session).get(loan.request_id) if loan.request_id else None
    return (loan, request) if request is not None else None


# ------------------------------------------------------------------ /stock


class Change(enum.StrEnum):
    """What the point's staff record by hand in /stock (one unit a tap)."""

    ADD = "add"  # a new item or place
    LEND = "lend"  # lent out to a family not in the bot
    RETURN = "return"  # came back from such a loan
    WRITE_OFF = "off"  # worn out or lost: no longer lent


MOVES = {
    Change.LEND: ("free", "lent"),
    Change.RETURN: ("lent", "free"),
    Change.WRITE_OFF: ("free", "written_off"),
}


async def record(
    session: AsyncSession, point: Point, thing: str, change: Change, actor: Person, count: int = 1
) -> bool:
    """One change of the counts by hand; False when there is nothing to change (no free one
    to lend, or no loan outside the bot to take back)."""
    stock = StockRepo(session)
    if change is Change.ADD:
        await stock.add(point.key, thing, count)
        done = True
    else:
        source, target = MOVES[change]
        done = await stock.move(
            point.key, thing, source, target, untracked_only=change is Change.RETURN
        )
    if done:
        AuditRepo(session).add(
            f"stock.{change.value}", actor_id=actor.id, object_type="point", object_id=None,
            details={"point": point.key, "item": thing, "count": count},
        )  # fmt: skip
    return done


async def overdue(session: AsyncSession, point: Point) -> list[Loan]:
    return await LoansRepo(session).overdue(point.key, utcnow())


# ------------------------------------------------------------------ figures


@dataclass(frozen=True)
class PointFigures:
    point: Point
    free: int
    lent: int  # items on loan, or places taken
    reserved: int
    waiting: int  # open requests holding nothing yet
    average_stay_days: float | None  # shelters: stays ended in the last year


async def figures(session: AsyncSession, points: Points) -> list[PointFigures]:
    found = await counts_of(session, points.items)
    waiting = await LoansRepo(session).waiting()
    shelters = [p.key for p in points.items if p.kind == SHELTER]
    stays: dict[str, list[float]] = {}
    for loan in await LoansRepo(session).stays_ended(shelters, utcnow() - timedelta(days=365)):
        if loan.ended_at is not None and loan.started_at is not None:
            days = (loan.ended_at - loan.started_at).total_seconds() / 86400
            stays.setdefault(loan.point_key, []).append(max(days, 0.0))
    out = []
    for point in points.items:
        c = found[point.key].values()
        ended = stays.get(point.key)
        out.append(
            PointFigures(
                point=point,
                free=sum(x.free for x in c),
                lent=sum(x.lent for x in c),
                reserved=sum(x.reserved for x in c),
                waiting=waiting.get(point.key, 0),
                average_stay_days=sum(ended) / len(ended) if ended else None,
            )
        )
    return out
