"""A specialist's own reminder on a case ("call back at 15:30"), read in their time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HelpRequest, Person, WorkKind
from db.repositories import WorkRepo

_WHEN = re.compile(
    r"^\s*(?:(?P<tomorrow>tomorrow|завтра)\s+|(?P<day>\d{1,2})\.(?P<month>\d{1,2})\s+)?"
    r"(?P<hour>[01]?\d|2[0-3])[:.](?P<minute>[0-5]\d)\b\s*(?P<note>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def parse_when(text: str, now: datetime, timezone: str) -> tuple[datetime, str] | None:
    """(the moment in UTC, the note after it) for "15:30", "tomorrow 10:00", "25.12 10:00";
    a time already past today means tomorrow, a date already past this year means next."""
    match = _WHEN.match(text)
    if match is None:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    at = time(int(match["hour"]), int(match["minute"]))
    if match["day"]:
        try:
            day = date(local.year, int(match["month"]), int(match["day"]))
        except ValueError:
            return None
        if datetime.combine(day, at, zone) <= local:
            day = day.replace(year=day.year + 1)
    else:
        day = local.date() + timedelta(days=1 if match["tomorrow"] else 0)
        if not match["tomorrow"] and datetime.combine(day, at, zone) <= local:
            day += timedelta(days=1)
    return datetime.combine(day, at, zone).astimezone(UTC), match["note"].strip()[:500]


def remind(
    session: AsyncSession,
    specialist: Person,
    request: HelpRequest,
    when: datetime,
    shown: str,
    note: str,
) -> None:
    WorkRepo(session).add(
        WorkKind.CALL_REMINDER,
        request.id,
        when,
        person_id=specialist.id,
        payload={"when": shown, "note": note},
    )
