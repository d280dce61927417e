from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FollowUp, HelpRequest, WorkStatus


class FollowUpsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: FollowUp) -> FollowUp:
        self.session.add(row)
        await self.session.flush()  # its id is the target of its due_work item
        return row

    async def get(self, follow_up_id: int) -> FollowUp | None:
        return await self.session.get(FollowUp, follow_up_id)

    async def own(self, person_id: int, follow_up_id: int) -> tuple[FollowUp, HelpRequest] | None:
        """The check-in, only if it is this family's, with its request."""
        row = (
            await self.session.execute(
                select(FollowUp, HelpRequest)
                .join(HelpRequest, HelpRequest.id == FollowUp.request_id)
                .where(FollowUp.id == follow_up_id, FollowUp.person_id == person_id)
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def pending_of_request(self, request_id: int) -> list[FollowUp]:
        result = await self.session.scalars(
            select(FollowUp).where(
                FollowUp.request_id == request_id, FollowUp.status == WorkStatus.PENDING
            )
        )
        return list(result.all())

    async def pending_of_person(self, person_id: int) -> list[FollowUp]:
        result = await self.session.scalars(
            select(FollowUp).where(
                FollowUp.person_id == person_id, FollowUp.status == WorkStatus.PENDING
            )
        )
        return list(result.all())
