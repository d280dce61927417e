from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Invite


class InvitesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, invite: Invite) -> None:
        self.session.add(invite)

    async def use(self, token_hash: str, person_id: int, now: datetime) -> Invite | None:
        """Spend a valid invite once: two presses of one link grant one role."""
        return await self.session.scalar(
            update(Invite)
            .where(
                Invite.token_hash == token_hash,
                Invite.used_at.is_(None),
                Invite.expires_at > now,
            )
            .values(used_by=person_id, used_at=now)
            .returning(Invite)
            .execution_options(synchronize_session=False)
        )
