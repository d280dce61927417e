from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Draft, DraftKind
from db.repositories._sql import _insert


class DraftsRepo:
    """Unfinished requests and assessments, one of each kind per person."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int, kind: DraftKind) -> dict[str, Any] | None:
        data = await self.session.scalar(
            select(Draft.data).where(Draft.person_id == person_id, Draft.kind == kind)
        )
        return dict(data) if data is not None else None

    async def kinds(self, person_id: int) -> set[DraftKind]:
        result = await self.session.scalars(select(Draft.kind).where(Draft.person_id == person_id))
        return set(result.all())

    async def put(self, person_id: int, kind: DraftKind, data: dict[str, Any]) -> None:
        stmt = _insert(self.session, Draft).values(
            person_id=person_id, kind=kind, data=data, updated_at=utcnow()
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["person_id", "kind"],
                set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at},
            )
        )

    async def drop(self, person_id: int, kind: DraftKind | None = None) -> None:
        stmt = delete(Draft).where(Draft.person_id == person_id)
        if kind is not None:
            stmt = stmt.where(Draft.kind == kind)
        await self.session.execute(stmt)

    async def stale(self, before: datetime) -> list[tuple[int, DraftKind]]:
        """Drafts untouched since `before` and never reminded of."""
        result = await self.session.execute(
            select(Draft.person_id, Draft.kind).where(
                Draft.updated_at < before, Draft.reminded_at.is_(None)
            )
        )
        return [(row[0], row[1]) for row in result.all()]

    async def mark_reminded(self, person_id: int, kind: DraftKind, now: datetime) -> bool:
        """Claim the one reminder of a draft: True for exactly one caller."""
        result = await self.session.execute(
            update(Draft)
            .where(Draft.person_id == person_id, Draft.kind == kind, Draft.reminded_at.is_(None))
            .values(reminded_at=now, updated_at=Draft.updated_at)
        )
        return bool(getattr(result, "rowcount", 0))
