"""Aggregates for whoever runs the bot (/metrics): counts only, never a row's content.

Each query reads only what is still in flight, through an index whose first column is the
status (`ix_due_work_status_due_at`, `ix_broadcast_deliveries_status_due_at`), or, for
open requests, the covering `ix_requests_queue_status_priority` — so a scrape costs as much
as the work that is waiting, not the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    DeliveryStatus,
    DueWork,
    HelpRequest,
    RequestStatus,
    WorkStatus,
)

IN_FLIGHT_WORK = (WorkStatus.PENDING, WorkStatus.WORKING)
IN_FLIGHT_DELIVERIES = (DeliveryStatus.PENDING, DeliveryStatus.WORKING)
OPEN_REQUESTS = (RequestStatus.NEW, RequestStatus.IN_PROGRESS)


@dataclass(frozen=True, slots=True)
class WorkFigures:
    kind: str
    status: str
    items: int
    overdue: int  # pending and due before the cut-off
    oldest_due: datetime | None


@dataclass(frozen=True, slots=True)
class BroadcastFigures:
    sending: int  # broadcasts being sent now
    recipients: int
    sent: int
    failed: int
    deliveries: dict[str, int]  # pending / working deliveries, by status


@dataclass(frozen=True, slots=True)
class OpenRequests:
    queue: str
    priority: str
    status: str
    count: int


class OpsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def due_work(self, overdue_before: datetime) -> list[WorkFigures]:
        late = case((DueWork.due_at < overdue_before, 1), else_=0)
        result = await self.session.execute(
            select(
                DueWork.kind,
                DueWork.status,
                func.count(),
                func.coalesce(func.sum(late), 0),
                func.min(DueWork.due_at),
            )
            .where(DueWork.status.in_(IN_FLIGHT_WORK))
            .group_by(DueWork.kind, DueWork.status)
        )
        return [
            WorkFigures(
                kind=str(kind),
                status=str(status),
                items=int(items),
                overdue=int(overdue) if status == WorkStatus.PENDING else 0,
                oldest_due=oldest,
            )
            for kind, status, items, overdue, oldest in result.all()
        ]

    async def broadcasts(self) -> BroadcastFigures:
        totals = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(Broadcast.total), 0),
                    func.coalesce(func.sum(Broadcast.sent), 0),
                    func.coalesce(func.sum(Broadcast.failed), 0),
                ).where(Broadcast.status == BroadcastStatus.SENDING)
            )
        ).one()
        deliveries = await self.session.execute(
            select(BroadcastDelivery.status, func.count())
            .where(BroadcastDelivery.status.in_(IN_FLIGHT_DELIVERIES))
            .group_by(BroadcastDelivery.status)
        )
        return BroadcastFigures(
            sending=int(totals[0]),
            recipients=int(totals[1]),
            sent=int(totals[2]),
            failed=int(totals[3]),
            deliveries={str(status): int(count) for status, count in deliveries.all()},
        )

    async def open_requests(self) -> list[OpenRequests]:
        result = await self.session.execute(
            select(HelpRequest.queue_key, HelpRequest.priority, HelpRequest.status, func.count())
            .where(HelpRequest.status.in_(OPEN_REQUESTS))
            .group_by(HelpRequest.queue_key, HelpRequest.priority, HelpRequest.status)
        )
        return [
            OpenRequests(
                queue=queue or "unrouted", priority=str(priority), status=str(status), count=n
            )
            for queue, priority, status, n in result.all()
        ]
