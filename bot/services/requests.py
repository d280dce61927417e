"""Help requests: the draft a family fills in step by step, the one function that turns it
into a request, and what a family may do with their requests afterwards.

The draft lives in its own table (not in the dialog state), so going to the menu, /start, a
restart or a crash loses nothing of what the family already entered. Triage and routing
(the queues issue) extend `submit`.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import audit_own
from bot.services.queues import Queues
from bot.services.triage import REPEAT_WINDOW, triage
from db.base import utcnow
from db.models import (
    ContactMethod,
    ContactTime,
    DraftKind,
    HelpKind,
    HelpRequest,
    Person,
    RequestMessage,
    RequestStatus,
    Urgency,
    WorkKind,
)
from db.repositories import (
    AssessmentsRepo,
    DraftsRepo,
    FamilyMessagesRepo,
    RequestsRepo,
    WorkRepo,
)

MAX_STORY = 2000  # characters of "what happened"
MAX_FILES = 5  # photos and documents
MAX_VOICES = 3
OPEN = (RequestStatus.NEW, RequestStatus.IN_PROGRESS)


class CancelReason(enum.StrEnum):
    SOLVED = "solved"  # it sorted itself out
    NOT_NEEDED = "not_needed"
    MISTAKE = "mistake"
    OTHER = "other"


class StoryTooLong(Exception):
    def __init__(self, total: int) -> None:
        super().__init__(f"{total} > {MAX_STORY}")
        self.total = total


class TooManyFiles(Exception):
    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(f"{kind}: at most {limit}")
        self.kind = kind
        self.limit = limit


class RequestNotFound(Exception):
    """No such request of this person's (a forged or an outdated number)."""


class RequestClosed(Exception):
    """The request is closed or cancelled: nothing can be added to it."""


@dataclass
class Attachment:
    kind: str  # photo, document or voice
    file_id: str
    message_id: int


@dataclass
class RequestDraft:
    category: HelpKind | None = None
    story: str = ""
    files: list[Attachment] = field(default_factory=list)
    urgency: Urgency | None = None
    contact: ContactMethod | None = None
    time: ContactTime | None = None
    red_flags: list[str] = field(default_factory=list)
    assessment_id: int | None = None
    step: str | None = None  # the dialog step the family was at
    reviewing: bool = False  # they have seen the summary: a changed field returns there
    # A thing or a place at a point (bot/services/points.py): what is asked, and the point's
    # queue, which takes it instead of the region's.
    resource: dict[str, str] | None = None
    queue_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RequestDraft:
        def enum_or_none(kind: type[enum.StrEnum], value: Any) -> Any:
            return kind(value) if value in {m.value for m in kind} else None

        return cls(
            category=enum_or_none(HelpKind, data.get("category")),
            story=str(data.get("story") or ""),
            files=[Attachment(**f) for f in data.get("files") or []],
            urgency=enum_or_none(Urgency, data.get("urgency")),
            contact=enum_or_none(ContactMethod, data.get("contact")),
            time=enum_or_none(ContactTime, data.get("time")),
            red_flags=list(data.get("red_flags") or []),
            assessment_id=data.get("assessment_id"),
            step=data.get("step"),
            reviewing=bool(data.get("reviewing")),
            resource=data.get("resource"),
            queue_key=data.get("queue_key"),
        )

    def count(self, kind: str) -> int:
        return sum(1 for f in self.files if f.kind == kind)

    @property
    def has_story(self) -> bool:
        return bool(self.story) or bool(self.files)

    def add_text(self, text: str) -> None:
        """Append a part of the story; raises StoryTooLong and keeps the story as it was."""
        text = text.strip()
        story = f"{self.story}\n\n{text}" if self.story else text
        if len(story) > MAX_STORY:
            raise StoryTooLong(len(story))
        self.story = story

    def add_file(self, kind: str, file_id: str, message_id: int) -> None:
        """A photo, document or voice message; raises TooManyFiles past the limit."""
        if kind == "voice":
            if self.count("voice") >= MAX_VOICES:
                raise TooManyFiles(kind, MAX_VOICES)
        elif len(self.files) - self.count("voice") >= MAX_FILES:
            raise TooManyFiles(kind, MAX_FILES)
        if all(f.message_id != message_id for f in self.files):  # a re-delivered update
            self.files.append(Attachment(kind, file_id, message_id))

    def clear_story(self) -> None:
        self.story = ""
        self.files = []

    def raise_flags(self, flags: list[str]) -> None:
        self.red_flags = [*self.red_flags, *(f for f in flags if f not in self.red_flags)]

    @property
    def urgency_now(self) -> Urgency:
        """A red flag makes a request urgent whatever the answer to "how urgent"."""
        return Urgency.EMERGENCY if self.red_flags else (self.urgency or Urgency.NORMAL)

    @property
    def needs_time(self) -> bool:
        return self.contact in (ContactMethod.CALL, ContactMethod.VISIT)

    @property
    def complete(self) -> bool:
        return (
            self.category is not None
            and self.urgency is not None
            and self.contact is not None
            and (self.time is not None or not self.needs_time)
        )


async def load_draft(session: AsyncSession, person: Person) -> RequestDraft | None:
    data = await DraftsRepo(session).get(person.id, DraftKind.REQUEST)
    return RequestDraft.from_json(data) if data is not None else None


async def save_draft(session: AsyncSession, person: Person, draft: RequestDraft) -> None:
    await DraftsRepo(session).put(person.id, DraftKind.REQUEST, draft.to_json())


async def drop_draft(session: AsyncSession, person: Person) -> None:
    await DraftsRepo(session).drop(person.id, DraftKind.REQUEST)


async def note_cry_for_help(
    session: AsyncSession, person: Person, text: str, flags: list[str]
) -> None:
    """Words of danger written in the menu begin an urgent request (a draft, one tap from
    being sent); what does not fit the story is kept as the family's message."""
    draft = await load_draft(session, person) or RequestDraft()
    draft.raise_flags(flags)
    try:
        draft.add_text(text)
    except StoryTooLong:
        FamilyMessagesRepo(session).add(
            person.id, content_type="text", text=text, file_id=None, message_id=None
        )
    await save_draft(session, person, draft)


async def submit(
    session: AsyncSession, person: Person, draft: RequestDraft, queues: Queues
) -> HelpRequest:
    """The one way a request is created: from a complete draft, which is then dropped.

    What the family wrote outside any request (kept while they were in the menu) joins it.
    The request is triaged (its priority and why) and given to its queue; placing it in the
    queue's staff group and watching its SLA are durable work done after the commit.
    """
    assert draft.complete and draft.category is not None and draft.contact is not None
    request = await RequestsRepo(session).add(
        HelpRequest(
            person_id=person.id,
            region=person.region,
            assessment_id=draft.assessment_id,
            help_kind=draft.category,
            urgency=draft.urgency_now,
            red_flags=list(draft.red_flags),
            summary=draft.story or None,
            contact_method=draft.contact,
            contact_time=draft.time if draft.needs_time else None,
            resource=dict(draft.resource) if draft.resource else None,
        )
    )
    messages = FamilyMessagesRepo(session)
    for f in draft.files:
        messages.add(
            person.id,
            content_type=f.kind,
            text=None,
            file_id=f.file_id,
            message_id=f.message_id,
            request_id=request.id,
        )
    await messages.attach_loose(person.id, request.id)
    await drop_draft(session, person)
    await _triage_and_route(session, person, request, draft, queues)
    audit_own(session, person, "request.create", {"request": request.id})
    return request


async def _triage_and_route(
    session: AsyncSession,
    person: Person,
    request: HelpRequest,
    draft: RequestDraft,
    queues: Queues,
) -> None:
    now = utcnow()
    assessment = (
        await AssessmentsRepo(session).get(draft.assessment_id) if draft.assessment_id else None
    )
    if assessment is not None and assessment.person_id != person.id:
        assessment, request.assessment_id = None, None  # never someone else's
    recent = await RequestsRepo(session).recent_count(
        person.id, now - REPEAT_WINDOW, but=request.id
    )
    decided = triage(
        red_flags=draft.red_flags,
        assessment_flags=assessment.red_flags if assessment else [],
        urgency=draft.urgency or Urgency.NORMAL,
        category=request.help_kind,
        recent_requests=recent,
        assessment_level=assessment.level if assessment else None,
    )
    queue = queues.get(draft.queue_key or "") or queues.route(
        request.help_kind.value, person.region
    )
    request.priority = decided.priority
    request.triage = [{"code": r.code.value, "detail": r.detail} for r in decided.reasons]
    request.queue_key = queue.key
    request.sla_due_at = queue.due(now, decided.priority)
    work = WorkRepo(session)
    work.add(WorkKind.ROUTE, request.id, now)
    work.add(WorkKind.SLA_REMIND, request.id, request.sla_due_at)


@dataclass(frozen=True)
class Expectation:
    """What a family is told of when to expect the first answer."""

    within: timedelta  # the queue's median first response this week, or its SLA
    opens_at: datetime | None  # the queue is closed now: when its team is back


MIN_SAMPLES = 5  # fewer first responses this week: the SLA is the honest figure


async def expectation(session: AsyncSession, request: HelpRequest, queues: Queues) -> Expectation:
    queue = queues.get(request.queue_key or "") or queues.route(request.help_kind.value, None)
    now = utcnow()
    times = await RequestsRepo(session).first_response_times(queue.key, now - timedelta(days=7))
    if len(times) >= MIN_SAMPLES:
        within = timedelta(seconds=median(t.total_seconds() for t in times))
    else:
        within = (request.sla_due_at or now + queue.sla(request.priority)) - now
    return Expectation(
        within=max(within, timedelta(minutes=1)),
        opens_at=None if queue.is_open(now) else queue.next_opening(now),
    )


async def of_person(session: AsyncSession, person: Person, limit: int = 10) -> list[HelpRequest]:
    return await RequestsRepo(session).of_person(person.id, limit)


async def own(session: AsyncSession, person: Person, request_id: int) -> HelpRequest:
    request = await RequestsRepo(session).own(person.id, request_id)
    if request is None:
        raise RequestNotFound(request_id)
    return request


async def open_case(session: AsyncSession, person: Person) -> HelpRequest | None:
    """The family's latest open request already with its team: what they write in the
    menu goes there."""
    if not person.has_consent:
        return None
    return await RequestsRepo(session).open_of_person(person.id)


async def open_for_resource(
    session: AsyncSession, person: Person, resource: dict[str, str]
) -> HelpRequest | None:
    """The family's open request for the same thing at the same point, if there is one."""
    for request in await RequestsRepo(session).of_person(person.id, 20):
        data = request.resource or {}
        same = (data.get("point"), data.get("item")) == (resource["point"], resource["item"])
        if same and request.status in OPEN:
            return request
    return None


async def history(session: AsyncSession, request: HelpRequest, limit: int) -> list[RequestMessage]:
    return await RequestsRepo(session).history(request.id, limit)


async def add_message(
    session: AsyncSession,
    person: Person,
    request: HelpRequest,
    *,
    content_type: str,
    text: str | None,
    file_id: str | None,
    message_id: int,
) -> RequestMessage:
    """Something the family adds to an open request (the caller relays it to the team)."""
    if request.status not in OPEN:
        raise RequestClosed(request.id)
    return FamilyMessagesRepo(session).add(
        person.id,
        content_type=content_type,
        text=text,
        file_id=file_id,
        message_id=message_id,
        request_id=request.id,
    )


async def cancel(
    session: AsyncSession, person: Person, request: HelpRequest, reason: CancelReason
) -> None:
    if request.status not in OPEN:
        raise RequestClosed(request.id)
    request.status = RequestStatus.CANCELLED
    request.closed_at = utcnow()
    request.outcome_note = f"cancelled by the family: {reason.value}"
    audit_own(session, person, "request.cancel", {"request": request.id, "reason": reason.value})
