"""The Monday digest of the week's figures for coordinators and admins: planned as durable
work (due_work, kind STATS_DIGEST), one item per person at a time, due on Monday at 09:00 on
their own clock. A restart changes nothing: the item waits in the database and is claimed
once; a missed Monday is sent when the bot is back, once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.stats import LEADS
from db.models import Person, WorkKind
from db.repositories import PeopleRepo, WorkRepo

DIGEST_AT = time(9, 0)
MONDAY = 0


def next_monday(now: datetime, tz: str) -> datetime:
    """The next Monday 09:00 on the clock of `tz` after `now`."""
    zone = ZoneInfo(tz)
    today: date = now.astimezone(zone).date()
    day = today + timedelta(days=(MONDAY - today.weekday()) % 7)
    due = datetime.combine(day, DIGEST_AT, zone)
    if due <= now:
        due = datetime.combine(day + timedelta(days=7), DIGEST_AT, zone)
    return due


def wants(person: Person) -> bool:
    return person.role in LEADS and person.stats_digest and person.is_active


async def plan(session: AsyncSession, tz_of: Callable[[Person], str], now: datetime) -> int:
    """Every coordinator and admin who wants the digest has its next one planned; how many
    were planned now. Run at start-up and now and then (a new coordinator)."""
    planned = await WorkRepo(session).planned(WorkKind.STATS_DIGEST)
    added = 0
    for person in await PeopleRepo(session).with_roles(LEADS):
        if wants(person) and person.id not in planned:
            plan_next(session, person, tz_of(person), now)
            added += 1
    return added


def plan_next(session: AsyncSession, person: Person, tz: str, now: datetime) -> None:
    WorkRepo(session).add(
        WorkKind.STATS_DIGEST, person.id, next_monday(now, tz), person_id=person.id
    )


async def plan_after(
    session: AsyncSession, person: Person, tz: str, now: datetime, done_item: int
) -> None:
    """Next week's digest, unless one is planned already (a retried send plans none)."""
    if person.id not in await WorkRepo(session).planned(WorkKind.STATS_DIGEST, but=done_item):
        plan_next(session, person, tz, now)


async def set_wanted(
    session: AsyncSession, person: Person, on: bool, tz: str, now: datetime
) -> None:
    """The digest on or off (Settings): off cancels the planned one at once."""
    person.stats_digest = on
    if on:
        if person.id not in await WorkRepo(session).planned(WorkKind.STATS_DIGEST):
            plan_next(session, person, tz, now)
    else:
        await WorkRepo(session).cancel_person(person.id, (WorkKind.STATS_DIGEST,))
