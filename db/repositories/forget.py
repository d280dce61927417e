from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import (
    Assessment,
    Draft,
    FollowUp,
    FsmRecord,
    HelpRequest,
    RequestMessage,
    RequestStatus,
    WorkStatus,
)


class ForgetRepo:
    """What `/forget` erases: everything a family wrote or shared, in the caller's unit of
    work. The rows that only count (requests by category and outcome) stay, emptied."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def erase(self, person_id: int, note: str) -> int:
        """Erase the person's words, files and answers; close their open requests with
        `note`; cancel what is scheduled for them. Returns how many requests were closed."""
        own_requests = select(HelpRequest.id).where(HelpRequest.person_id == person_id)
        await self.session.execute(
            delete(RequestMessage).where(
                (RequestMessage.person_id == person_id)
                | RequestMessage.request_id.in_(own_requests)
            )
        )
        closed = await self.session.execute(
            update(HelpRequest)
            .where(
                HelpRequest.person_id == person_id,
                HelpRequest.status.in_([RequestStatus.NEW, RequestStatus.IN_PROGRESS]),
            )
            .values(status=RequestStatus.CANCELLED, closed_at=utcnow(), outcome_note=note)
        )
        await self.session.execute(
            update(HelpRequest)
            .where(HelpRequest.person_id == person_id)
            .values(summary=None, red_flags=[])
        )
        await self.session.execute(delete(Assessment).where(Assessment.person_id == person_id))
        await self.session.execute(delete(Draft).where(Draft.person_id == person_id))
        await self.session.execute(
            update(FollowUp)
            .where(FollowUp.person_id == person_id, FollowUp.status == WorkStatus.PENDING)
            .values(status=WorkStatus.CANCELLED)
        )
        return int(getattr(closed, "rowcount", 0))

    async def drop_dialog_state(self, bot_id: int, chat_id: int) -> None:
        """The conversation state of the chat: its key holds the Telegram id."""
        await self.session.execute(
            delete(FsmRecord).where(FsmRecord.key.startswith(f"fsm:{bot_id}:{chat_id}:"))
        )
