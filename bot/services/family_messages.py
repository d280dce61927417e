"""What a family writes is kept for their case, also when no request is open yet."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Person
from db.repositories import FamilyMessagesRepo

MAX_TEXT = 4096  # Telegram's own limit; a longer text cannot come from Telegram


def keep_loose(
    session: AsyncSession,
    person: Person,
    *,
    content_type: str,
    text: str | None,
    file_id: str | None,
    message_id: int,
) -> None:
    """Only with consent: without it nothing a person writes may be stored (152-FZ)."""
    if not person.has_consent:
        return
    FamilyMessagesRepo(session).add(
        person.id,
        content_type=content_type,
        text=text[:MAX_TEXT] if text is not None else None,
        file_id=file_id,
        message_id=message_id,
    )
