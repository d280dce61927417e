from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Person, QueueLink, QueueStaff
from db.repositories._sql import _insert


class QueueLinksRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, queue_key: str) -> QueueLink | None:
        return await self.session.get(QueueLink, queue_key)

    async def of_chat(self, chat_id: int) -> list[QueueLink]:
        result = await self.session.scalars(select(QueueLink).where(QueueLink.chat_id == chat_id))
        return list(result.all())

    async def put(self, queue_key: str, chat_id: int, forum: bool, linked_by: int | None) -> None:
        stmt = _insert(self.session, QueueLink).values(
            queue_key=queue_key, chat_id=chat_id, forum=forum, linked_by=linked_by
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["queue_key"],
                set_={
                    "chat_id": stmt.excluded.chat_id,
                    "forum": stmt.excluded.forum,
                    "linked_by": stmt.excluded.linked_by,
                },
            )
        )

    async def set_forum(self, queue_key: str, forum: bool) -> None:
        await self.session.execute(
            update(QueueLink).where(QueueLink.queue_key == queue_key).values(forum=forum)
        )


class QueueStaffRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, queue_key: str, person_id: int) -> None:
        await self.session.execute(
            _insert(self.session, QueueStaff)
            .values(queue_key=queue_key, person_id=person_id)
            .on_conflict_do_nothing()
        )

    async def remove(self, person_id: int) -> None:
        rows = await self.session.scalars(
            select(QueueStaff).where(QueueStaff.person_id == person_id)
        )
        for row in rows.all():
            await self.session.delete(row)

    async def of_person(self, person_id: int) -> list[QueueStaff]:
        result = await self.session.scalars(
            select(QueueStaff)
            .where(QueueStaff.person_id == person_id)
            .order_by(QueueStaff.queue_key)
        )
        return list(result.all())

    async def is_member(self, queue_key: str, person_id: int) -> bool:
        return (
            await self.session.get(QueueStaff, {"queue_key": queue_key, "person_id": person_id})
        ) is not None

    async def on_duty(self, queue_key: str) -> list[Person]:
        result = await self.session.scalars(
            select(Person)
            .join(QueueStaff, QueueStaff.person_id == Person.id)
            .where(
                QueueStaff.queue_key == queue_key,
                QueueStaff.on_duty.is_(True),
                Person.is_active.is_(True),
            )
        )
        return list(result.all())

    async def all(self) -> list[tuple[QueueStaff, Person]]:
        result = await self.session.execute(
            select(QueueStaff, Person)
            .join(Person, QueueStaff.person_id == Person.id)
            .order_by(QueueStaff.queue_key, Person.id)
        )
        return [(row[0], row[1]) for row in result.all()]
