"""What a family has begun and not finished (a request, a self-assessment)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DraftKind, Person
from db.repositories import DraftsRepo


async def open_drafts(session: AsyncSession, person: Person) -> set[DraftKind]:
    return await DraftsRepo(session).kinds(person.id)
