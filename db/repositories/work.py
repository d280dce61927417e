from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DueWork, WorkKind, WorkStatus
from db.repositories._sql import picked


class WorkRepo:
    """The durable work queue (design §4): items are claimed with one conditional UPDATE, so
    two ticks (or two bot instances) never take the same item."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        kind: WorkKind,
        target_id: int,
        due_at: datetime,
        *,
        person_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            DueWork(
                kind=kind,
                target_id=target_id,
                due_at=due_at,
                person_id=person_id,
                payload=payload or {},
            )
        )

    async def claim(
        self, owner: str, now: datetime, limit: int, stale_after: timedelta
    ) -> list[DueWork]:
        """Take up to `limit` due items; an item left `working` longer than `stale_after`
        (its worker died) is due again."""
        due = or_(
            and_(DueWork.status == WorkStatus.PENDING, DueWork.due_at <= now),
            and_(DueWork.status == WorkStatus.WORKING, DueWork.claimed_at < now - stale_after),
        )
        ids = select(DueWork.id).where(due).order_by(DueWork.due_at).limit(limit)
        result = await self.session.scalars(
            update(DueWork)
            .where(picked(self.session, DueWork.id, ids), due)
            .values(
                status=WorkStatus.WORKING,
                owner=owner,
                claimed_at=now,
                attempts=DueWork.attempts + 1,
            )
            .returning(DueWork)
            .execution_options(synchronize_session=False)
        )
        return list(result.all())

    async def settle(self, item_id: int, status: WorkStatus) -> None:
        await self.session.execute(
            update(DueWork).where(DueWork.id == item_id).values(status=status, owner=None)
        )

    async def release_host(self, host: str, but: str, now: datetime) -> int:
        result = await self.session.execute(
            update(DueWork)
            .where(
                DueWork.status == WorkStatus.WORKING,
                DueWork.owner.startswith(f"{host}:"),
                DueWork.owner != but,
            )
            .values(status=WorkStatus.PENDING, owner=None, due_at=now)
        )
        return int(getattr(result, "rowcount", 0))

    async def delete_settled_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(DueWork).where(
                DueWork.status.in_([WorkStatus.DONE, WorkStatus.CANCELLED, WorkStatus.FAILED]),
                DueWork.due_at < moment,
            )
        )
        return int(getattr(result, "rowcount", 0))

    async def settle_many(self, item_ids: list[int], status: WorkStatus) -> None:
        if item_ids:
            await self.session.execute(
                update(DueWork).where(DueWork.id.in_(item_ids)).values(status=status, owner=None)
            )

    async def retry(self, item_id: int, due_at: datetime) -> None:
        await self.session.execute(
            update(DueWork)
            .where(DueWork.id == item_id)
            .values(status=WorkStatus.PENDING, due_at=due_at, owner=None)
        )

    async def defer(self, item_id: int, due_at: datetime) -> None:
        """Not now (a family's quiet hours): due again later, the try not counted."""
        await self.session.execute(
            update(DueWork)
            .where(DueWork.id == item_id)
            .values(
                status=WorkStatus.PENDING,
                due_at=due_at,
                owner=None,
                attempts=DueWork.attempts - 1,
            )
        )

    async def cancel_person(self, person_id: int, kinds: tuple[WorkKind, ...]) -> int:
        result = await self.session.execute(
            update(DueWork)
            .where(
                DueWork.person_id == person_id,
                DueWork.kind.in_(kinds),
                DueWork.status == WorkStatus.PENDING,
            )
            .values(status=WorkStatus.CANCELLED)
        )
        return int(getattr(result, "rowcount", 0))

    async def cancel(self, target_id: int, kinds: tuple[WorkKind, ...]) -> int:
        result = await self.session.execute(
            update(DueWork)
            .where(
                DueWork.target_id == target_id,
                DueWork.kind.in_(kinds),
                DueWork.status == WorkStatus.PENDING,
            )
            .values(status=WorkStatus.CANCELLED)
        )
        return int(getattr(result, "rowcount", 0))

    async def planned(self, kind: WorkKind, but: int | None = None) -> set[int]:
        """People with an item of `kind` still to do (pending, or being done now), leaving
        out the item `but`."""
        query = select(DueWork.person_id).where(
            DueWork.kind == kind,
            DueWork.status.in_([WorkStatus.PENDING, WorkStatus.WORKING]),
            DueWork.person_id.is_not(None),
        )
        if but is not None:
            query = query.where(DueWork.id != but)
        return {p for p in await self.session.scalars(query) if p is not None}
