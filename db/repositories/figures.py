"""The figures of a period (/stats, exports, the Monday digest): grouped counts and the
durations they need, in plain SQL that SQLite and PostgreSQL both run. Every query is
limited to a `Scope` — the period, the regions the person may see, a queue — here, in one
place, so no figure can forget it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AuditLog,
    BroadcastDelivery,
    DeliveryStatus,
    FollowUp,
    HelpRequest,
    Person,
    RequestStatus,
    Role,
)
from db.repositories._sql import local_day, seconds_between

EXPORT_CHUNK = 2000  # rows fetched at a time: an export of a year never sits whole in memory


@dataclass(frozen=True)
class Scope:
    start: datetime  # UTC, included
    end: datetime  # UTC, excluded
    regions: frozenset[str] | None  # None: every region
    queue: str | None = None  # None: every queue


def _where(scope: Scope, column: Any) -> list[ColumnElement[bool]]:
    """Requests whose `column` falls in the period, in the scope's regions and queue."""
    found: list[ColumnElement[bool]] = [column >= scope.start, column < scope.end]
    if scope.regions is not None:
        found.append(HelpRequest.region.in_(sorted(scope.regions)))
    if scope.queue is not None:
        found.append(HelpRequest.queue_key == scope.queue)
    return found


def _people_in(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.regions is None:
        return []
    return [Person.region.in_(sorted(scope.regions))]


class FiguresRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _grouped(self, column: Any, *where: ColumnElement[bool]) -> dict[Any, int]:
        result = await self.session.execute(
            select(column, func.count()).select_from(HelpRequest).where(*where).group_by(column)
        )
        return {key: int(n) for key, n in result.all()}

    async def opened_by(self, scope: Scope, column: Any) -> dict[Any, int]:
        """Requests opened in the period, counted by `column` (category, priority)."""
        return await self._grouped(column, *_where(scope, HelpRequest.created_at))

    async def closed_by(self, scope: Scope, column: Any) -> dict[Any, int]:
        """Cases closed in the period, counted by `column` (outcome, the child's place,
        rating); a cancelled request is no case."""
        return await self._grouped(
            column,
            *_where(scope, HelpRequest.closed_at),
            HelpRequest.status == RequestStatus.CLOSED,
        )

    async def first_responses(self, scope: Scope) -> list[tuple[float, bool]]:
        """Of the requests opened in the period and answered: seconds to the first answer,
        and whether it came within the SLA."""
        in_time = or_(
            HelpRequest.sla_due_at.is_(None),
            HelpRequest.first_response_at <= HelpRequest.sla_due_at,
        )
        result = await self.session.execute(
            select(
                seconds_between(
                    self.session, HelpRequest.first_response_at, HelpRequest.created_at
                ),
                in_time,
            ).where(
                *_where(scope, HelpRequest.created_at),
                HelpRequest.first_response_at.is_not(None),
            )
        )
        return [(max(float(s), 0.0), bool(ok)) for s, ok in result.all()]

    async def times_to_close(self, scope: Scope) -> list[float]:
        result = await self.session.scalars(
            select(
                seconds_between(self.session, HelpRequest.closed_at, HelpRequest.created_at)
            ).where(
                *_where(scope, HelpRequest.closed_at),
                HelpRequest.status == RequestStatus.CLOSED,
            )
        )
        return [max(float(s), 0.0) for s in result.all()]

    async def sla(self, scope: Scope, now: datetime) -> tuple[int, int]:
        """Requests whose SLA ran out in the period (up to now), and how many of them had no
        first answer in time."""
        ended = min(scope.end, now)
        where = [
            *_where(scope, HelpRequest.sla_due_at),
            HelpRequest.sla_due_at < ended,
        ]
        late = or_(
            HelpRequest.first_response_at.is_(None),
            HelpRequest.first_response_at > HelpRequest.sla_due_at,
        )
        result = await self.session.execute(
            select(func.count(), func.count().filter(late)).select_from(HelpRequest).where(*where)
        )
        due, breached = result.one()
        return int(due), int(breached)

    async def checkin_answers(self, scope: Scope) -> dict[Any, int]:
        """Check-ins answered in the period, by answer, for the scope's requests."""
        where = _where(scope, FollowUp.answered_at)
        result = await self.session.execute(
            select(FollowUp.answer, func.count())
            .join(HelpRequest, HelpRequest.id == FollowUp.request_id)
            .where(*where, FollowUp.answer.is_not(None))
            .group_by(FollowUp.answer)
        )
        return {key: int(n) for key, n in result.all()}

    async def subscribers(self, scope: Scope) -> int:
        """Families who take the programme's news now, in the scope's regions."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Person)
            .where(
                Person.role == Role.PARENT,
                Person.news_subscribed.is_(True),
                Person.is_active.is_(True),
                *_people_in(scope),
            )
        )
        return int(count or 0)

    async def reach(self, scope: Scope) -> tuple[int, int, int]:
        """News delivered in the period to families of the scope's regions: broadcasts,
        messages, people."""
        result = await self.session.execute(
            select(
                func.count(distinct(BroadcastDelivery.broadcast_id)),
                func.count(),
                func.count(distinct(BroadcastDelivery.person_id)),
            )
            .join(Person, Person.id == BroadcastDelivery.person_id)
            .where(
                BroadcastDelivery.status == DeliveryStatus.SENT,
                BroadcastDelivery.sent_at >= scope.start,
                BroadcastDelivery.sent_at < scope.end,
                *_people_in(scope),
            )
        )
        broadcasts, sent, people = result.one()
        return int(broadcasts), int(sent), int(people)

    async def per_day(self, scope: Scope, zone: str) -> list[tuple[str, Any, int]]:
        """Requests opened per local day and category: (ISO day, category, count)."""
        day = local_day(self.session, HelpRequest.created_at, zone)
        result = await self.session.execute(
            select(day, HelpRequest.help_kind, func.count())
            .where(*_where(scope, HelpRequest.created_at))
            .group_by(day, HelpRequest.help_kind)
        )
        return [(str(d), kind, int(n)) for d, kind, n in result.all()]

    async def export_rows(self, scope: Scope) -> AsyncIterator[list[Any]]:
        """The period's requests for an export, chunk by chunk, with no personal data: no
        person, no words, no phone — numbers, keys and times only."""
        query = (
            select(
                HelpRequest.id,
                HelpRequest.region,
                HelpRequest.queue_key,
                HelpRequest.help_kind,
                HelpRequest.priority,
                HelpRequest.status,
                HelpRequest.created_at,
                HelpRequest.first_response_at,
                HelpRequest.sla_due_at,
                HelpRequest.closed_at,
                HelpRequest.outcome,
                HelpRequest.child_status,
                HelpRequest.rating,
            )
            .where(*_where(scope, HelpRequest.created_at))
            .order_by(HelpRequest.id)
            .execution_options(yield_per=EXPORT_CHUNK)
        )
        result = await self.session.stream(query)
        async for chunk in result.partitions(EXPORT_CHUNK):
            yield [list(row) for row in chunk]

    async def audit_rows(self, start: datetime, end: datetime) -> AsyncIterator[list[Any]]:
        query = (
            select(
                AuditLog.id,
                AuditLog.at,
                AuditLog.actor_id,
                AuditLog.action,
                AuditLog.object_type,
                AuditLog.object_id,
                AuditLog.details,
            )
            .where(and_(AuditLog.at >= start, AuditLog.at < end))
            .order_by(AuditLog.id)
            .execution_options(yield_per=EXPORT_CHUNK)
        )
        result = await self.session.stream(query)
        async for chunk in result.partitions(EXPORT_CHUNK):
            yield [list(row) for row in chunk]
