from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HelpRequest, RequestStatus

OPEN = (RequestStatus.NEW, RequestStatus.IN_PROGRESS)


class StatsRepo:
    """Counts per queue for the coordinators' overview. Grouped queries, no rows loaded."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _per_queue(self, column: Any, *where: Any) -> dict[str, Any]:
        result = await self.session.execute(
            select(HelpRequest.queue_key, column).where(*where).group_by(HelpRequest.queue_key)
        )
        return {key: value for key, value in result.all() if key is not None}

    async def open(self) -> dict[str, Any]:
        return await self._per_queue(func.count(HelpRequest.id), HelpRequest.status.in_(OPEN))

    async def unclaimed(self) -> dict[str, Any]:
        return await self._per_queue(
            func.count(HelpRequest.id), HelpRequest.status == RequestStatus.NEW
        )

    async def oldest_waiting(self) -> dict[str, Any]:
        return await self._per_queue(
            func.min(HelpRequest.created_at), HelpRequest.status == RequestStatus.NEW
        )

    async def ratings(self) -> dict[str, Any]:
        return await self._per_queue(func.avg(HelpRequest.rating), HelpRequest.rating.is_not(None))

    async def breaches(self, since: datetime, now: datetime) -> dict[str, Any]:
        """Requests whose SLA ran out between `since` and `now` without a first answer in time."""
        return await self._per_queue(
            func.count(HelpRequest.id),
            HelpRequest.sla_due_at >= since,
            HelpRequest.sla_due_at < now,
            or_(
                HelpRequest.first_response_at.is_(None),
                HelpRequest.first_response_at > HelpRequest.sla_due_at,
            ),
        )

    async def first_responses(self, since: datetime) -> dict[str, list[timedelta]]:
        result = await self.session.execute(
            select(
                HelpRequest.queue_key, HelpRequest.created_at, HelpRequest.first_response_at
            ).where(HelpRequest.first_response_at >= since)
        )
        found: dict[str, list[timedelta]] = {}
        for key, created, answered in result.all():
            if key is not None and answered is not None:
                found.setdefault(key, []).append(answered - created)
        return found
