"""The coordinators' overview of the queues (/queues): what waits, for how long, how fast
the first answers come this week, what ran past its SLA today, how families rate the help,
and who is on duty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.queues import Queues
from db.repositories import QueueStaffRepo, StatsRepo


@dataclass(frozen=True)
class QueueRow:
    key: str
    open: int
    unclaimed: int
    oldest_waiting: timedelta | None
    median_first_response: timedelta | None  # this week
    breaches_today: int
    rating: float | None
    on_duty: tuple[str, ...]  # display names


async def queues_overview(session: AsyncSession, queues: Queues, now: datetime) -> list[QueueRow]:
    stats = StatsRepo(session)
    week = await stats.first_responses(now - timedelta(days=7))
    opened, unclaimed = await stats.open(), await stats.unclaimed()
    oldest, ratings = await stats.oldest_waiting(), await stats.ratings()
    rows = []
    for queue in queues.items:
        local = now.astimezone(ZoneInfo(queue.timezone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        breaches = await stats.breaches(midnight, now)
        started = oldest.get(queue.key)
        times = week.get(queue.key)
        rating = ratings.get(queue.key)
        duty = await QueueStaffRepo(session).on_duty(queue.key)
        rows.append(
            QueueRow(
                key=queue.key,
                open=int(opened.get(queue.key, 0) or 0),
                unclaimed=int(unclaimed.get(queue.key, 0) or 0),
                oldest_waiting=now - started if isinstance(started, datetime) else None,
                median_first_response=timedelta(seconds=median(t.total_seconds() for t in times))
                if times
                else None,
                breaches_today=int(breaches.get(queue.key, 0) or 0),
                rating=float(rating) if rating is not None else None,
                on_duty=tuple(p.display_name or "—" for p in duty),
            )
        )
    return rows
