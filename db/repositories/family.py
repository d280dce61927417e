from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HelpRequest, MessageDirection, RequestMessage, RequestStatus


class FamilyMessagesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        person_id: int,
        *,
        content_type: str,
        text: str | None,
        file_id: str | None,
        message_id: int | None,
        request_id: int | None = None,
    ) -> RequestMessage:
        """A family's message, for a request or (with no `request_id`) for none yet."""
        row = RequestMessage(
            request_id=request_id,
            person_id=person_id,
            direction=MessageDirection.FROM_FAMILY,
            author_id=person_id,
            family_message_id=message_id,
            content_type=content_type,
            text=text,
            file_id=file_id,
        )
        self.session.add(row)
        return row

    async def attach_loose(self, person_id: int, request_id: int) -> int:
        """What the family wrote outside any request becomes part of this one."""
        result = await self.session.execute(
            update(RequestMessage)
            .where(RequestMessage.person_id == person_id, RequestMessage.request_id.is_(None))
            .values(request_id=request_id)
        )
        return int(getattr(result, "rowcount", 0))


class RequestsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, request: HelpRequest) -> HelpRequest:
        self.session.add(request)
        await self.session.flush()  # its number is shown to the family at once
        return request

    async def of_person(self, person_id: int, limit: int) -> list[HelpRequest]:
        result = await self.session.scalars(
            select(HelpRequest)
            .where(HelpRequest.person_id == person_id)
            .order_by(HelpRequest.id.desc())
            .limit(limit)
        )
        return list(result.all())

    async def own(self, person_id: int, request_id: int) -> HelpRequest | None:
        """The request, only if it is this person's."""
        return await self.session.scalar(
            select(HelpRequest).where(
                HelpRequest.id == request_id, HelpRequest.person_id == person_id
            )
        )

    async def history(self, request_id: int, limit: int) -> list[RequestMessage]:
        """The last `limit` messages of a request, oldest first."""
        result = await self.session.scalars(
            select(RequestMessage)
            .where(RequestMessage.request_id == request_id)
            .order_by(RequestMessage.id.desc())
            .limit(limit)
        )
        return list(reversed(result.all()))

    async def claim(self, request_id: int, person_id: int, now: datetime) -> bool:
        """Take the request for `person_id` if nobody has: one conditional UPDATE, so of two
        specialists pressing at once exactly one wins (on SQLite and PostgreSQL alike)."""
        result = await self.session.execute(
            update(HelpRequest)
            .where(
                HelpRequest.id == request_id,
                HelpRequest.assignee_id.is_(None),
                HelpRequest.status == RequestStatus.NEW,
            )
            .values(
                assignee_id=person_id,
                status=RequestStatus.IN_PROGRESS,
                taken_at=now,
                first_response_at=func.coalesce(HelpRequest.first_response_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def get(self, request_id: int) -> HelpRequest | None:
        return await self.session.get(HelpRequest, request_id, populate_existing=True)

    async def by_thread(self, chat_id: int, thread_id: int) -> HelpRequest | None:
        return await self.session.scalar(
            select(HelpRequest)
            .where(HelpRequest.staff_chat_id == chat_id, HelpRequest.topic_thread_id == thread_id)
            .order_by(HelpRequest.id.desc())
            .limit(1)
        )

    async def by_staff_message(self, chat_id: int, message_id: int) -> HelpRequest | None:
        """The request a message in a staff group belongs to: its card, or a message relayed
        from or to the family (a plain group threads a case by replies)."""
        card = await self.session.scalar(
            select(HelpRequest).where(
                HelpRequest.staff_chat_id == chat_id, HelpRequest.card_message_id == message_id
            )
        )
        if card is not None:
            return card
        return await self.session.scalar(
            select(HelpRequest)
            .join(RequestMessage, RequestMessage.request_id == HelpRequest.id)
            .where(
                HelpRequest.staff_chat_id == chat_id,
                RequestMessage.staff_message_id == message_id,
            )
            .limit(1)
        )

    async def recent_count(self, person_id: int, since: datetime, but: int | None = None) -> int:
        stmt = select(func.count(HelpRequest.id)).where(
            HelpRequest.person_id == person_id, HelpRequest.created_at >= since
        )
        if but is not None:
            stmt = stmt.where(HelpRequest.id != but)
        return int(await self.session.scalar(stmt) or 0)

    async def open_of_person(self, person_id: int) -> HelpRequest | None:
        """The family's latest open request that a specialist can see."""
        return await self.session.scalar(
            select(HelpRequest)
            .where(
                HelpRequest.person_id == person_id,
                HelpRequest.status.in_([RequestStatus.NEW, RequestStatus.IN_PROGRESS]),
                HelpRequest.staff_chat_id.is_not(None),
            )
            .order_by(HelpRequest.id.desc())
            .limit(1)
        )

    async def message_by(
        self,
        *,
        staff_message_id: int | None = None,
        family_message_id: int | None = None,
        request_id: int,
    ) -> RequestMessage | None:
        stmt = select(RequestMessage).where(RequestMessage.request_id == request_id)
        if staff_message_id is not None:
            stmt = stmt.where(RequestMessage.staff_message_id == staff_message_id)
        if family_message_id is not None:
            stmt = stmt.where(RequestMessage.family_message_id == family_message_id)
        return await self.session.scalar(stmt.limit(1))

    async def family_files(self, request_id: int) -> list[RequestMessage]:
        result = await self.session.scalars(
            select(RequestMessage)
            .where(
                RequestMessage.request_id == request_id,
                RequestMessage.direction == MessageDirection.FROM_FAMILY,
                RequestMessage.file_id.is_not(None),
                RequestMessage.staff_message_id.is_(None),
            )
            .order_by(RequestMessage.id)
        )
        return list(result.all())

    async def first_response_times(self, queue_key: str, since: datetime) -> list[timedelta]:
        rows = await self.session.execute(
            select(HelpRequest.created_at, HelpRequest.first_response_at).where(
                HelpRequest.queue_key == queue_key,
                HelpRequest.first_response_at.is_not(None),
                HelpRequest.first_response_at >= since,
            )
        )
        return [answered - created for created, answered in rows.all() if answered is not None]

    async def family_message(
        self, person_id: int, message_id: int
    ) -> tuple[HelpRequest, RequestMessage] | None:
        row = (
            await self.session.execute(
                select(HelpRequest, RequestMessage)
                .join(RequestMessage, RequestMessage.request_id == HelpRequest.id)
                .where(
                    RequestMessage.person_id == person_id,
                    RequestMessage.family_message_id == message_id,
                    RequestMessage.direction == MessageDirection.FROM_FAMILY,
                )
                .limit(1)
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def open_in_work(self, person_id: int) -> list[HelpRequest]:
        result = await self.session.scalars(
            select(HelpRequest).where(
                HelpRequest.person_id == person_id,
                HelpRequest.status.in_([RequestStatus.NEW, RequestStatus.IN_PROGRESS]),
                HelpRequest.staff_chat_id.is_not(None),
            )
        )
        return list(result.all())
