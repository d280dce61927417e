"""Staff: roles granted by one-time invites, the queues' groups, and who is on duty.
Every change of a role or a link goes to the audit log with who and when."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import Invite, Person, QueueStaff, Role
from db.repositories import AuditRepo, InvitesRepo, PeopleRepo, QueueLinksRepo, QueueStaffRepo

INVITE_TTL = timedelta(hours=24)
INVITE_PREFIX = "inv_"  # /start inv_<token>


class InviteInvalid(Exception):
    """Unknown, used or expired."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _audit(session: AsyncSession, actor: Person, action: str, target: int, **details: str) -> None:
    AuditRepo(session).add(
        action, actor_id=actor.id, object_type="person", object_id=target, details=details
    )


async def link_queue(
    session: AsyncSession, queue_key: str, chat_id: int, forum: bool, admin: Person
) -> None:
    await QueueLinksRepo(session).put(queue_key, chat_id, forum, admin.id)
    AuditRepo(session).add(
        "queue.link",
        actor_id=admin.id,
        object_type="queue",
        details={"queue": queue_key, "chat": str(chat_id), "forum": str(forum)},
    )


def invite(
    session: AsyncSession,
    admin: Person,
    role: Role,
    queue_key: str | None,
    region: str | None = None,
) -> str:
    """A one-time token, valid 24 hours; only its hash is kept. A coordinator's invite may
    name a region: they will see that region's figures only."""
    token = secrets.token_urlsafe(18)
    InvitesRepo(session).add(
        Invite(
            token_hash=_hash(token),
            role=role,
            queue_key=queue_key,
            region=region,
            created_by=admin.id,
            expires_at=utcnow() + INVITE_TTL,
        )
    )
    _audit(session, admin, "invite.create", admin.id, role=role.value, queue=queue_key or "",
           region=region or "")  # fmt: skip
    return token


async def accept(session: AsyncSession, person: Person, token: str, name: str) -> Invite:
    used = await InvitesRepo(session).use(_hash(token), person.id, utcnow())
    if used is None:
        raise InviteInvalid
    if person.role is not Role.ADMIN:
        person.role = used.role
    if used.role is Role.COORDINATOR:
        person.stats_region = used.region
    person.display_name = name[:64] or person.display_name
    if used.queue_key:
        await QueueStaffRepo(session).add(used.queue_key, person.id)
    _audit(session, person, "role.grant", person.id, role=used.role.value, via="invite")
    return used


async def memberships(session: AsyncSession, person: Person) -> list[QueueStaff]:
    return await QueueStaffRepo(session).of_person(person.id)


def toggle_duty(session: AsyncSession, person: Person, membership: QueueStaff) -> bool:
    membership.on_duty = not membership.on_duty
    _audit(session, person, "duty.on" if membership.on_duty else "duty.off", person.id,
           queue=membership.queue_key)  # fmt: skip
    return membership.on_duty


async def roster(session: AsyncSession) -> tuple[list[tuple[QueueStaff, Person]], list[Person]]:
    """Specialists by queue, and the coordinators and admins."""
    return await QueueStaffRepo(session).all(), await PeopleRepo(session).with_roles(
        (Role.COORDINATOR, Role.ADMIN)
    )


async def revoke(session: AsyncSession, admin: Person, person_id: int) -> Person | None:
    person = await PeopleRepo(session).get(person_id)
    if person is None or person.role in (Role.PARENT, Role.ADMIN):
        return None
    person.role = Role.PARENT
    await QueueStaffRepo(session).remove(person.id)
    _audit(session, admin, "role.revoke", person.id)
    return person


async def queues_of(session: AsyncSession, person: Person) -> set[str]:
    """The queues a specialist works in."""
    return {m.queue_key for m in await QueueStaffRepo(session).of_person(person.id)}


async def queues_of_chat(session: AsyncSession, chat_id: int) -> list[str]:
    """The queues whose staff group this chat is."""
    return [link.queue_key for link in await QueueLinksRepo(session).of_chat(chat_id)]
