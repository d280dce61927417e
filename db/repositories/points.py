from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import HelpRequest, Loan, LoanStatus, RequestStatus, Stock
from db.repositories._sql import _insert

COLUMNS = ("free", "reserved", "lent", "written_off")
HELD = (LoanStatus.RESERVED, LoanStatus.ACTIVE)


class StockRepo:
    """A point's counts. Every change is one conditional UPDATE that moves units from one
    count to another only while there are enough, so two specialists pressing at once can
    never lend the same last pram: one UPDATE matches, the other matches no row."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _ensure(self, point: str, item: str) -> None:
        await self.session.execute(
            _insert(self.session, Stock)
            .values(point_key=point, item_key=item, free=0, reserved=0, lent=0, written_off=0)
            .on_conflict_do_nothing(index_elements=["point_key", "item_key"])
        )

    async def add(self, point: str, item: str, count: int) -> None:
        await self._ensure(point, item)
        await self.session.execute(
            update(Stock)
            .where(Stock.point_key == point, Stock.item_key == item)
            .values(free=Stock.free + count, updated_at=utcnow())
        )

    async def move(
        self, point: str, item: str, source: str, target: str, *, untracked_only: bool = False
    ) -> bool:
        """One unit from `source` to `target` (count names of COLUMNS); False when there is
        none to move. `untracked_only`: only a unit no loan in the bot accounts for (a manual
        return must not take back a pram the bot knows is still with a family)."""
        assert source in COLUMNS and target in COLUMNS and source != target
        await self._ensure(point, item)
        src, dst = getattr(Stock, source), getattr(Stock, target)
        floor: Any = 0
        if untracked_only:
            floor = (
                select(func.count(Loan.id))
                .where(
                    Loan.point_key == point,
                    Loan.item_key == item,
                    Loan.status == (LoanStatus.ACTIVE if source == "lent" else LoanStatus.RESERVED),
                )
                .scalar_subquery()
            )
        result = await self.session.execute(
            update(Stock)
            .where(Stock.point_key == point, Stock.item_key == item, src > floor)
            .values({source: src - 1, target: dst + 1, "updated_at": utcnow()})
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def of_point(self, point: str) -> dict[str, Stock]:
        rows = await self.session.scalars(select(Stock).where(Stock.point_key == point))
        return {row.item_key: row for row in rows}

    async def of_points(self, points: Sequence[str]) -> dict[tuple[str, str], Stock]:
        rows = await self.session.scalars(select(Stock).where(Stock.point_key.in_(points)))
        return {(row.point_key, row.item_key): row for row in rows}


class LoansRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, loan: Loan) -> Loan:
        self.session.add(loan)
        await self.session.flush()
        return loan

    async def get(self, loan_id: int) -> Loan | None:
        return await self.session.get(Loan, loan_id, populate_existing=True)

    async def held_for(self, request_id: int) -> Loan | None:
        """The reservation, loan or stay of a request now, if any."""
        return await self.session.scalar(
            select(Loan)
            .where(Loan.request_id == request_id, Loan.status.in_(HELD))
            .order_by(Loan.id.desc())
            .limit(1)
        )

    async def last_for(self, request_id: int) -> Loan | None:
        return await self.session.scalar(
            select(Loan).where(Loan.request_id == request_id).order_by(Loan.id.desc()).limit(1)
        )

    async def change(
        self, loan_id: int, expected: LoanStatus, status: LoanStatus, **values: Any
    ) -> bool:
        """Move a loan on only from the state it is expected in: a double tap, or an expiry
        racing a hand-over, changes it once."""
        result = await self.session.execute(
            update(Loan)
            .where(Loan.id == loan_id, Loan.status == expected)
            .values(status=status, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def overdue(self, point: str, now: datetime) -> list[Loan]:
        rows = await self.session.scalars(
            select(Loan)
            .where(Loan.point_key == point, Loan.status == LoanStatus.ACTIVE, Loan.due_at < now)
            .order_by(Loan.due_at)
        )
        return list(rows)

    async def count_by_point(self, status: LoanStatus) -> dict[str, int]:
        result = await self.session.execute(
            select(Loan.point_key, func.count(Loan.id))
            .where(Loan.status == status)
            .group_by(Loan.point_key)
        )
        return {point: count for point, count in result.all()}

    async def stays_ended(self, points: Sequence[str], since: datetime) -> list[Loan]:
        rows = await self.session.scalars(
            select(Loan).where(
                Loan.point_key.in_(points),
                Loan.status == LoanStatus.RETURNED,
                Loan.ended_at >= since,
                Loan.started_at.is_not(None),
            )
        )
        return list(rows)

    async def waiting(self) -> dict[str, int]:
        """Open requests per point that hold nothing yet: the waiting list."""
        point = HelpRequest.resource["point"].as_string()
        held = select(Loan.request_id).where(Loan.status.in_(HELD), Loan.request_id.is_not(None))
        result = await self.session.execute(
            select(point, func.count(HelpRequest.id))
            .where(
                HelpRequest.resource.is_not(None),
                HelpRequest.status.in_((RequestStatus.NEW, RequestStatus.IN_PROGRESS)),
                HelpRequest.id.not_in(held),
            )
            .group_by(point)
        )
        return {key: count for key, count in result.all() if key}
