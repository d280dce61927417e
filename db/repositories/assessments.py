from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Assessment


class AssessmentsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(self, person_id: int) -> Assessment | None:
        return await self.session.scalar(
            select(Assessment)
            .where(Assessment.person_id == person_id)
            .order_by(Assessment.id.desc())
            .limit(1)
        )

    async def add(self, assessment: Assessment) -> Assessment:
        self.session.add(assessment)
        await self.session.flush()  # its id goes into the help buttons of the result
        return assessment

    async def get(self, assessment_id: int) -> Assessment | None:
        return await self.session.get(Assessment, assessment_id)
