from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import FollowUp, HelpRequest, Person, WorkStatus


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

    async def with_family(
        self, follow_up_ids: Iterable[int]
    ) -> dict[int, tuple[FollowUp, Person, HelpRequest]]:
        """Check-ins with their family and request, in one query, by check-in id."""
        result = await self.session.execute(
            select(FollowUp, Person, HelpRequest)
            .join(Person, Person.id == FollowUp.person_id)
            .join(HelpRequest, HelpRequest.id == FollowUp.request_id)
            .where(FollowUp.id.in_(list(follow_up_ids)))
        )
        return {row[0].id: (row[0], row[1], row[2]) for row in result.all()}

    async def reopen(self, follow_up_id: int) -> None:
        await self.session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up_id)
            .values(status=WorkStatus.PENDING, sent_at=None)
        )
