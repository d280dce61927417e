"""A request as a case the duty team works: where it is worked (the queue's group and topic),
who takes it, what passes between the family and the specialist, and the roles that may act.
Free of aiogram: the staff handlers and the routing work (bot/routing.py) call these."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import (
    ChildStatus,
    HelpRequest,
    MessageDirection,
    Outcome,
    Person,
    Priority,
    RequestMessage,
    RequestStatus,
    Role,
    WorkKind,
)
from db.repositories import (
    AuditRepo,
    PeopleRepo,
    QueueLinksRepo,
    QueueStaffRepo,
    RequestsRepo,
    WorkRepo,
)

STAFF_ROLES = (Role.SPECIALIST, Role.COORDINATOR, Role.ADMIN)
NOTE_PREFIX = "//"  # a specialist's private note in a topic: kept, never relayed


class NotAllowed(Exception):
    """The person has no role for this action (a parent, or staff of another queue)."""


class CaseNotFound(Exception):
    pass


@dataclass(frozen=True)
class Taken:
    won: bool
    request: HelpRequest
    by: Person | None  # who holds the request now


def audit(
    session: AsyncSession, actor: Person, action: str, request: HelpRequest, **details: object
) -> None:
    AuditRepo(session).add(
        action,
        actor_id=actor.id,
        object_type="request",
        object_id=request.id,
        details={k: str(v) for k, v in details.items()},
    )


async def may_work(session: AsyncSession, person: Person | None, request: HelpRequest) -> bool:
    """Coordinators and admins work every queue; a specialist only the queues they are in."""
    if person is None or person.role not in STAFF_ROLES:
        return False
    if person.role is not Role.SPECIALIST:
        return True
    return request.queue_key is not None and await QueueStaffRepo(session).is_member(
        request.queue_key, person.id
    )


async def of_staff_message(
    session: AsyncSession, chat_id: int, thread_id: int | None, reply_to: int | None
) -> HelpRequest | None:
    """The case a message in a staff group is about: its topic, or (in a plain group) the
    card or relayed message it replies to."""
    repo = RequestsRepo(session)
    if thread_id is not None:
        found = await repo.by_thread(chat_id, thread_id)
        if found is not None:
            return found
    if reply_to is not None:
        return await repo.by_staff_message(chat_id, reply_to)
    return None


async def get(session: AsyncSession, request_id: int) -> HelpRequest:
    request = await RequestsRepo(session).get(request_id)
    if request is None:
        raise CaseNotFound(request_id)
    return request


async def take(session: AsyncSession, request_id: int, person: Person) -> Taken:
    repo = RequestsRepo(session)
    request = await get(session, request_id)
    if not await may_work(session, person, request):
        raise NotAllowed(person.id)
    won = await repo.claim(request_id, person.id, utcnow())
    request = await get(session, request_id)
    holder = await PeopleRepo(session).get(request.assignee_id) if request.assignee_id else None
    if won:
        audit(session, person, "case.take", request)
        await WorkRepo(session).cancel(request.id, (WorkKind.SLA_REMIND, WorkKind.SLA_ESCALATE))
    return Taken(won, request, holder)


async def placed(
    session: AsyncSession, request: HelpRequest, chat_id: int, thread_id: int | None, card: int
) -> None:
    request.staff_chat_id = chat_id
    request.topic_thread_id = thread_id
    request.card_message_id = card


async def family_of(session: AsyncSession, request: HelpRequest) -> Person | None:
    return await PeopleRepo(session).get(request.person_id)


def keep_family_message(
    session: AsyncSession,
    request: HelpRequest,
    *,
    content_type: str,
    text: str | None,
    file_id: str | None,
    family_message_id: int | None,
) -> RequestMessage:
    row = RequestMessage(
        request_id=request.id,
        person_id=request.person_id,
        direction=MessageDirection.FROM_FAMILY,
        author_id=request.person_id,
        family_message_id=family_message_id,
        content_type=content_type,
        text=text,
        file_id=file_id,
    )
    session.add(row)
    return row


def keep_staff_message(
    session: AsyncSession,
    request: HelpRequest,
    author: Person,
    *,
    content_type: str,
    text: str | None,
    file_id: str | None,
    staff_message_id: int,
) -> RequestMessage:
    """A specialist's message in the case: a note (//…) or one relayed to the family."""
    note = bool(text and text.startswith(NOTE_PREFIX))
    row = RequestMessage(
        request_id=request.id,
        person_id=request.person_id,
        direction=MessageDirection.STAFF_NOTE if note else MessageDirection.TO_FAMILY,
        author_id=author.id,
        staff_message_id=staff_message_id,
        content_type=content_type,
        text=text,
        file_id=file_id,
    )
    session.add(row)
    if not note and request.first_response_at is None:
        request.first_response_at = utcnow()
    return row


async def link_of(session: AsyncSession, queue_key: str) -> tuple[int, bool] | None:
    link = await QueueLinksRepo(session).get(queue_key)
    return (link.chat_id, link.forum) if link is not None else None


async def on_duty(session: AsyncSession, queue_key: str) -> list[Person]:
    return await QueueStaffRepo(session).on_duty(queue_key)


async def coordinators(session: AsyncSession) -> list[Person]:
    return await PeopleRepo(session).with_roles((Role.COORDINATOR, Role.ADMIN))


async def attachments(session: AsyncSession, request: HelpRequest) -> list[RequestMessage]:
    """The files the family sent with the request, not yet shown to the team."""
    return await RequestsRepo(session).family_files(request.id)


def escalate_later(session: AsyncSession, request: HelpRequest, sla: timedelta) -> None:
    WorkRepo(session).add(WorkKind.SLA_ESCALATE, request.id, utcnow() + sla)


class TransferReason(enum.StrEnum):
    KIND = "kind"  # another kind of help is needed
    REGION = "region"  # the family lives elsewhere
    SPECIALISTS = "specialists"  # other specialists can help better
    OTHER = "other"


OPEN = (RequestStatus.NEW, RequestStatus.IN_PROGRESS)


def _must_be_open(request: HelpRequest) -> None:
    if request.status not in OPEN:
        raise CaseClosed(request.id)


class CaseClosed(Exception):
    pass


async def close(
    session: AsyncSession,
    request: HelpRequest,
    actor: Person,
    outcome: Outcome,
    child: ChildStatus,
    summary: str | None = None,
) -> None:
    _must_be_open(request)
    request.status = RequestStatus.CLOSED
    request.outcome = outcome
    request.child_status = child
    request.outcome_note = summary
    request.closed_at = utcnow()
    request.assignee_id = request.assignee_id or actor.id
    await WorkRepo(session).cancel(request.id, (WorkKind.SLA_REMIND, WorkKind.SLA_ESCALATE))
    audit(session, actor, "case.close", request, outcome=outcome.value, child=child.value)


async def reopen(session: AsyncSession, request: HelpRequest, actor: Person) -> None:
    if request.status is not RequestStatus.CLOSED:
        raise CaseClosed(request.id)
    request.status = RequestStatus.IN_PROGRESS if request.assignee_id else RequestStatus.NEW
    request.reopened_count += 1
    request.closed_at = None
    audit(session, actor, "case.reopen", request)


async def transfer(
    session: AsyncSession,
    request: HelpRequest,
    actor: Person,
    queue_key: str,
    reason: TransferReason,
) -> None:
    """To another queue: a new topic there, from the start (nobody holds it)."""
    _must_be_open(request)
    old = request.queue_key
    request.queue_key = queue_key
    request.status = RequestStatus.NEW
    request.assignee_id = None
    request.staff_chat_id = request.topic_thread_id = request.card_message_id = None
    work = WorkRepo(session)
    await work.cancel(request.id, (WorkKind.SLA_REMIND, WorkKind.SLA_ESCALATE))
    work.add(WorkKind.ROUTE, request.id, utcnow())
    audit(session, actor, "case.transfer", request, source=old or "", to=queue_key,
          reason=reason.value)  # fmt: skip


async def set_priority(
    session: AsyncSession, request: HelpRequest, actor: Person, priority: Priority
) -> None:
    _must_be_open(request)
    request.triage = [
        *(request.triage or []),
        {"code": "specialist", "detail": actor.display_name or ""},
    ]
    audit(session, actor, "case.priority", request, before=request.priority.value,
          after=priority.value)  # fmt: skip
    request.priority = priority


async def rate(session: AsyncSession, family: Person, request_id: int, score: int) -> HelpRequest:
    request = await RequestsRepo(session).own(family.id, request_id)
    if request is None or request.status is not RequestStatus.CLOSED or not 1 <= score <= 5:
        raise CaseNotFound(request_id)
    request.rating = score
    return request


async def holder_of(session: AsyncSession, request: HelpRequest) -> Person | None:
    return await PeopleRepo(session).get(request.assignee_id) if request.assignee_id else None


async def message_of(
    session: AsyncSession,
    request: HelpRequest,
    *,
    staff_message_id: int | None = None,
    family_message_id: int | None = None,
) -> RequestMessage | None:
    return await RequestsRepo(session).message_by(
        staff_message_id=staff_message_id,
        family_message_id=family_message_id,
        request_id=request.id,
    )


async def family_message(
    session: AsyncSession, family: Person, message_id: int
) -> tuple[HelpRequest, RequestMessage] | None:
    """A message the family sent earlier, and the request it belongs to."""
    return await RequestsRepo(session).family_message(family.id, message_id)
