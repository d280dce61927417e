from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import HelpRequest, MessageDirection, RequestMessage


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
