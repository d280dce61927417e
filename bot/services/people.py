"""People: first contact, roles from configuration, language and consent."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Person, Role
from db.repositories import AuditRepo, PeopleRepo


async def load_person(
    session: AsyncSession, telegram_id: int, *, create: bool, admin_ids: Iterable[int] = ()
) -> Person | None:
    """The person behind a Telegram user; new people are created only where `create` allows
    (a private chat), so that writing in a staff group does not enrol anyone as a parent."""
    repo = PeopleRepo(session)
    if create:
        person: Person | None = (await repo.get_or_create(telegram_id))[0]
    else:
        person = await repo.by_telegram_id(telegram_id)
    if person is not None and telegram_id in set(admin_ids) and person.role is not Role.ADMIN:
        person.role = Role.ADMIN
        audit_own(session, person, "role.bootstrap_admin")
    return person


async def by_id(session: AsyncSession, person_id: int) -> Person | None:
    return await PeopleRepo(session).get(person_id)


def audit_own(
    session: AsyncSession, person: Person, action: str, details: dict[str, object] | None = None
) -> None:
    """An audit line for something a person did to their own record."""
    AuditRepo(session).add(
        action, actor_id=person.id, object_type="person", object_id=person.id, details=details
    )


def set_locale(person: Person, locale: str) -> None:
    person.locale = locale


def toggle_age_group(person: Person, group: str) -> None:
    ages = list(person.children_ages or [])
    person.children_ages = [g for g in ages if g != group] if group in ages else [*ages, group]


def set_phone(session: AsyncSession, person: Person, phone: str) -> None:
    """A number the person shared with Telegram's own button (never typed), for call-backs."""
    person.phone = phone[:32]
    audit_own(session, person, "person.phone_shared")


def set_district(person: Person, district: str | None) -> None:
    person.district = " ".join(district.split()) if district else None


def set_discreet(person: Person, on: bool) -> None:
    person.discreet = on


def set_checkins_paused(person: Person, paused: bool) -> None:
    person.checkins_paused = paused


def set_news(person: Person, subscribed: bool) -> None:
    person.news_subscribed = subscribed


def set_region(person: Person, region: str, timezone: str) -> None:
    """The region a family lives in, and the clock the bot keeps for them there."""
    person.region = region
    person.timezone = timezone


def accept_consent(session: AsyncSession, person: Person, version: str) -> None:
    person.consent_version = version
    person.consent_at = utcnow()
    person.consent_declined_at = None
    audit_own(session, person, "consent.accept", {"version": version})


def consent_outdated(person: Person, version: str) -> bool:
    """They agreed to an older notice: they must agree to the current one (152-FZ: informed)."""
    return person.consent_version is not None and person.consent_version != version


def decline_consent(session: AsyncSession, person: Person) -> None:
    """Keep only the refusal itself: no consent, no phone, no region."""
    person.consent_version = None
    person.consent_at = None
    person.consent_declined_at = utcnow()
    person.phone = None
    person.region = None
    audit_own(session, person, "consent.decline")


def reachable(person: Person) -> bool:
    """The bot may write to them: not blocked, not erased by /forget (an erased stub has a
    negative id)."""
    return person.is_active and person.telegram_id > 0


def mark_unreachable(person: Person) -> None:
    """Telegram said 403: the person blocked the bot. Never message them again until they return."""
    person.is_active = False
