"""`/forget`: a family's personal data erased at their request (152-FZ, art. 21).

Kept: only what counts without naming anyone — the emptied request rows (category, status,
dates) and an audit line. The person's row stays as an anonymous stub so that those counts
still add up; its Telegram id is replaced, so a return is a new first contact.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import checkins
from bot.services.people import audit_own
from db.models import HelpRequest, Person
from db.repositories import ForgetRepo, RequestsRepo, SentMessagesRepo

CLOSED_NOTE = "closed: the family asked for their data to be deleted"


async def forget(session: AsyncSession, person: Person, *, bot_id: int) -> list[HelpRequest]:
    """Erase everything personal about `person`; the open requests it closed that a team
    was working on (their topics are told)."""
    repo = ForgetRepo(session)
    in_work = await RequestsRepo(session).open_in_work(person.id)
    telegram_id = person.telegram_id
    closed = await repo.erase(person.id, CLOSED_NOTE)
    await repo.drop_dialog_state(bot_id, telegram_id)
    await SentMessagesRepo(session).forget_chat(telegram_id)
    await checkins.cancel_for(session, person.id)
    person.telegram_id = -person.id  # never a real user id: those are positive
    person.locale = None
    person.region = None
    person.district = None
    person.timezone = None
    person.phone = None
    person.children_ages = []
    person.news_subscribed = False
    person.discreet = False
    person.consent_version = None
    person.consent_at = None
    person.consent_declined_at = None
    person.is_active = False
    audit_own(session, person, "person.forget", {"requests_closed": closed})
    return in_work
