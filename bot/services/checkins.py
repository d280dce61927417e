"""Check-ins after help, and the family's quiet hours.

Plans come from `content/checkins.toml`. Closing a request with an outcome that a plan covers
schedules its check-ins (one `follow_ups` row and one `due_work` item each), at the plan's
local time of day in the family's time zone. Nothing is sent to a family outside their quiet
hours: `not_before` gives the first moment that is allowed. Free of aiogram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import people
from bot.services.content import CONTENT_DIR, HELP_KINDS, ContentError, read_toml
from db.base import utcnow
from db.models import (
    CheckInAnswer,
    FollowUp,
    HelpRequest,
    Outcome,
    Person,
    Priority,
    RequestStatus,
    WorkKind,
    WorkStatus,
)
from db.repositories import AuditRepo, FollowUpsRepo, WorkRepo

CHECKINS_FILE = CONTENT_DIR / "checkins.toml"
ALL = "all"
FAMILY_WORK = (WorkKind.CHECKIN, WorkKind.CHECKIN_REMIND, WorkKind.CHECKIN_ESCALATE)
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class Plan:
    outcomes: frozenset[str]
    help: frozenset[str]  # or {"all"}
    days: tuple[int, ...]
    remind_after: timedelta
    tell_after: timedelta

    def fits(self, outcome: str, kind: str) -> bool:
        return outcome in self.outcomes and (ALL in self.help or kind in self.help)


@dataclass(frozen=True)
class CheckIns:
    quiet_start: time  # sending is allowed from here ...
    quiet_end: time  # ... until here, in the family's time zone
    send_at: time
    plans: tuple[Plan, ...]

    def plan_for(self, outcome: str, kind: str) -> Plan | None:
        return next((p for p in self.plans if p.fits(outcome, kind)), None)

    def plan_of(self, request: HelpRequest) -> Plan | None:
        """The plan that follows this request's closing (none while it is open)."""
        if request.outcome is None:
            return None
        return self.plan_for(request.outcome.value, request.help_kind.value)

    def not_before(self, at: datetime, timezone: str) -> datetime:
        """`at`, or the start of the next allowed hours in the family's time zone (UTC)."""
        zone = ZoneInfo(timezone)
        local = at.astimezone(zone)
        if self.quiet_start <= local.time() < self.quiet_end:
            return at
        day = local.date() if local.time() < self.quiet_start else local.date() + timedelta(days=1)
        return datetime.combine(day, self.quiet_start, zone).astimezone(UTC)

    def planned(self, closed: datetime, days: int, timezone: str) -> datetime:
        zone = ZoneInfo(timezone)
        day = closed.astimezone(zone).date() + timedelta(days=days)
        return self.not_before(datetime.combine(day, self.send_at, zone).astimezone(UTC), timezone)


def _clock(value: Any, field: str, where: str) -> time:
    match = _TIME.fullmatch(str(value))
    if match is None:
        raise ContentError(f"content error: {where}: {field} must be HH:MM, not {value!r}")
    return time(int(match[1]), int(match[2]))


def load_checkins(path: Path = CHECKINS_FILE) -> CheckIns:
    where = path.name
    data = read_toml(path)
    quiet = data.get("quiet_hours") or {}
    start = _clock(quiet.get("start"), "quiet_hours.start", where)
    end = _clock(quiet.get("end"), "quiet_hours.end", where)
    send_at = _clock(quiet.get("send_at"), "quiet_hours.send_at", where)
    if not start < end or not start <= send_at < end:
        raise ContentError(f"content error: {where}: quiet hours need start < send_at < end")
    outcomes = {o.value for o in Outcome}
    plans = []
    for n, entry in enumerate(data.get("plan") or [], start=1):
        plans.append(_plan(entry, f"{where}: plan {n}", outcomes))
    if not plans:
        raise ContentError(f"content error: {where}: no [[plan]] entries")
    return CheckIns(start, end, send_at, tuple(plans))


def _plan(entry: dict[str, Any], what: str, outcomes: set[str]) -> Plan:
    def fail(problem: str) -> ContentError:
        return ContentError(f"content error: {what}: {problem}")

    chosen = entry.get("outcomes") or []
    if not chosen or not set(chosen) <= outcomes:
        raise fail(f"outcomes must be among {sorted(outcomes)}")
    kinds = entry.get("help") or []
    if not kinds or not set(kinds) <= {*HELP_KINDS, ALL}:
        raise fail(f"unknown kind of help in {kinds}")
    days = entry.get("days") or []
    if (
        not days
        or len(days) > 10
        or not all(isinstance(d, int) and 1 <= d <= 365 for d in days)
        or list(days) != sorted(set(days))
    ):
        raise fail("days must rise, each 1–365, at most 10")
    remind = entry.get("remind_after_hours")
    tell = entry.get("tell_specialist_after_hours")
    if not (isinstance(remind, int) and isinstance(tell, int) and 0 < remind < tell):
        raise fail("needs 0 < remind_after_hours < tell_specialist_after_hours")
    return Plan(
        frozenset(chosen),
        frozenset(kinds),
        tuple(days),
        timedelta(hours=remind),
        timedelta(hours=tell),
    )


async def schedule(
    session: AsyncSession, request: HelpRequest, family: Person, checkins: CheckIns, tz: str
) -> list[FollowUp]:
    """After a closing: the check-ins of the plan that fits (none if the family paused them)."""
    plan = checkins.plan_of(request)
    if plan is None or family.checkins_paused or not people.reachable(family):
        return []
    closed = request.closed_at or utcnow()
    made = []
    for step, days in enumerate(plan.days):
        due = checkins.planned(closed, days, tz)
        row = await FollowUpsRepo(session).add(
            FollowUp(request_id=request.id, person_id=family.id, step=step, due_at=due)
        )
        WorkRepo(session).add(WorkKind.CHECKIN, row.id, due, person_id=family.id)
        made.append(row)
    return made


@dataclass(frozen=True)
class Answered:
    follow_up: FollowUp
    request: HelpRequest
    reopened: bool


async def answer(
    session: AsyncSession, family: Person, follow_up_id: int, given: CheckInAnswer
) -> Answered | None:
    """The family's answer; "worse" or "need help" reopens the request with a raised priority
    and cancels the check-ins left (the next closing plans anew)."""
    repo = FollowUpsRepo(session)
    found = await repo.own(family.id, follow_up_id)
    if found is None:
        return None
    follow_up, request = found
    follow_up.answer = given
    follow_up.answered_at = utcnow()
    work = WorkRepo(session)
    await work.cancel(follow_up.id, (WorkKind.CHECKIN_REMIND, WorkKind.CHECKIN_ESCALATE))
    reopened = False
    if given in (CheckInAnswer.WORSE, CheckInAnswer.NEED_HELP):
        raised = Priority.URGENT if given is CheckInAnswer.NEED_HELP else Priority.HIGH
        if request.priority.rank < raised.rank:
            request.priority = raised
        if request.status is RequestStatus.CLOSED:
            request.status = RequestStatus.IN_PROGRESS if request.assignee_id else RequestStatus.NEW
            request.reopened_count += 1
            request.closed_at = None
            reopened = True
        request.triage = [*(request.triage or []), {"code": "checkin", "detail": given.value}]
        for pending in await repo.pending_of_request(request.id):
            pending.status = WorkStatus.CANCELLED
            await work.cancel(pending.id, FAMILY_WORK)
    AuditRepo(session).add(
        "checkin.answer",
        actor_id=family.id,
        object_type="request",
        object_id=request.id,
        details={"answer": given.value, "reopened": str(reopened)},
    )
    return Answered(follow_up, request, reopened)


async def cancel_for(session: AsyncSession, person_id: int) -> int:
    """Everything pending for a family: /forget, a pause, or they blocked the bot."""
    for row in await FollowUpsRepo(session).pending_of_person(person_id):
        row.status = WorkStatus.CANCELLED
    return await WorkRepo(session).cancel_person(person_id, FAMILY_WORK)
