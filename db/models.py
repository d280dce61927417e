"""The domain's tables.

Families' personal data is kept to what the work needs: a parent has no name column at all,
only a Telegram id, settings and, when they choose to share it, a phone number. Everything a
family writes lives in `requests` / `request_messages`, which `/forget` and retention wipe.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow


def _enum(cls: type[enum.StrEnum], length: int = 24) -> Enum:
    # Non-native enums are portable between SQLite and PostgreSQL and store the readable value.
    return Enum(
        cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    PARENT = "parent"
    SPECIALIST = "specialist"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class HelpKind(enum.StrEnum):
    CRISIS_HOUSING = "crisis_housing"
    PSYCHOLOGICAL = "psychological"
    LEGAL = "legal"
    RENTAL = "rental"  # social rental of baby items, «Мой малыш»
    MATERIAL = "material"
    ADDICTION = "addiction"
    DAY_CARE = "day_care"
    RESPITE = "respite"
    PREGNANCY = "pregnancy"
    TRAINING = "training"
    MENTORING = "mentoring"
    OTHER = "other"


class Urgency(enum.StrEnum):
    # A red flag: violence, no roof tonight, thinking of giving the child up.
    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"


class RequestStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ContactMethod(enum.StrEnum):
    """How the family wants the specialist to reach them."""

    CHAT = "chat"  # in this chat, through the bot
    CALL = "call"  # a call back to the phone shared with Telegram's button
    VISIT = "visit"  # in person, at the service


class ContactTime(enum.StrEnum):
    MORNING = "morning"
    DAY = "day"
    EVENING = "evening"
    ANY = "any"


class DraftKind(enum.StrEnum):
    REQUEST = "request"
    ASSESSMENT = "assessment"


class Outcome(enum.StrEnum):
    HELPED = "helped"
    REFERRED = "referred"
    NO_CONTACT = "no_contact"
    DECLINED = "declined"
    DUPLICATE = "duplicate"


class Priority(enum.StrEnum):
    """A request's place in its queue (bot/services/triage.py decides it)."""

    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        """0 normal, 1 high, 2 urgent: for comparing priorities."""
        return {"normal": 0, "high": 1, "urgent": 2}[self.value]


class ChildStatus(enum.StrEnum):
    """The programme's own indicator, asked when a case is closed: does the child live with
    the family now?"""

    AT_HOME = "at_home"
    TEMPORARILY_PLACED = "temporarily_placed"
    NOT_AT_HOME = "not_at_home"
    UNKNOWN = "unknown"


class MessageDirection(enum.StrEnum):
    FROM_FAMILY = "from_family"
    TO_FAMILY = "to_family"
    STAFF_NOTE = "staff_note"


class WorkStatus(enum.StrEnum):
    """Life cycle of durable work items (follow-ups, deliveries) claimed by scheduler ticks."""

    PENDING = "pending"
    WORKING = "working"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class CheckInAnswer(enum.StrEnum):
    BETTER = "better"
    SAME = "same"
    WORSE = "worse"
    NEED_HELP = "need_help"  # "I need help now"


class BroadcastStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    WORKING = "working"  # being sent right now
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"  # the person blocked the bot (403)
    # Being sent when the bot died: it may or may not have arrived, and is not guessed.
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.PARENT)
    locale: Mapped[str | None] = mapped_column(String(8))
    region: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(64))  # town or district, optional
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Staff only: how colleagues see them. Parents are never stored by name.
    display_name: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    consent_version: Mapped[str | None] = mapped_column(String(16))
    consent_at: Mapped[datetime | None]
    consent_declined_at: Mapped[datetime | None]
    # Age groups of the children ("0-4", "5-11", "12-18", "expecting"): for news that fits.
    children_ages: Mapped[list[str]] = mapped_column(JSON, default=list)
    news_subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Discreet mode: what the bot sends on its own opens with a neutral line (a notification
    # preview on a phone someone else may read shows nothing alarming).
    discreet: Mapped[bool] = mapped_column(Boolean, default=False)
    checkins_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # False once Telegram says the person blocked the bot (403): never message them again.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Coordinators: the one region whose figures they see (set from their invite); None sees
    # every region. Never a family's own region, which is `region` above.
    stats_region: Mapped[str | None] = mapped_column(String(32))
    # Coordinators and admins: the Monday digest of the week's figures (off in Settings).
    stats_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def has_consent(self) -> bool:
        return self.consent_version is not None


class QueueLink(Base):
    """The staff forum supergroup of a service queue (queues themselves are content:
    content/queues.toml); set by an admin with /link_queue in that group."""

    __tablename__ = "queue_links"

    queue_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    # False: a plain group, or a forum where the bot may not manage topics: requests arrive
    # as cards threaded by replies instead of topics.
    forum: Mapped[bool] = mapped_column(Boolean, default=True)
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueueStaff(Base):
    """A specialist of a queue, and whether they are on duty there now (the roster lives in
    the database, never in memory)."""

    __tablename__ = "queue_staff"

    queue_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[int] = mapped_column(Integer, default=0)
    level: Mapped[str] = mapped_column(String(16))
    red_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The scored result (levels per domain, help that fits), as bot/services/assessment.py
    # writes it: what a request card and the next assessment compare against.
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpRequest(Base):
    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_queue_status_priority", "queue_key", "status", "priority"),
        # The figures of a period (/stats): requests opened, and cases closed, in it.
        Index("ix_requests_created_at", "created_at"),
        Index("ix_requests_closed_at", "closed_at"),
        Index("ix_requests_region_created_at", "region", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    queue_key: Mapped[str | None] = mapped_column(String(64))  # a key of content/queues.toml
    # The family's region when they asked: the figures stay put when a family moves or
    # forgets, and a regional coordinator's figures need no join to people.
    region: Mapped[str | None] = mapped_column(String(32))
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL")
    )
    help_kind: Mapped[HelpKind] = mapped_column(_enum(HelpKind))
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency), default=Urgency.NORMAL)
    # Triage (bot/services/triage.py): the priority and every reason for it, for the card.
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.NORMAL)
    triage: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    red_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), default=RequestStatus.NEW)
    # What happened, in the family's words (up to 2,000 characters; voice and files are
    # request_messages of their own).
    summary: Mapped[str | None] = mapped_column(Text)
    contact_method: Mapped[ContactMethod] = mapped_column(
        _enum(ContactMethod), default=ContactMethod.CHAT
    )
    contact_time: Mapped[ContactTime | None] = mapped_column(_enum(ContactTime))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # Where the request is worked: the staff group, its topic (None in a plain group, where
    # the card's replies make the thread) and the card message with the case buttons.
    staff_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    topic_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger)
    sla_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    child_status: Mapped[ChildStatus | None] = mapped_column(_enum(ChildStatus))
    rating: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # A request for a thing or a place at a point (content/points.toml): {"point", "item",
    # "age" | "people", "when"}; None for every other request.
    resource: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestMessage.id"
    )


class RequestMessage(Base):
    __tablename__ = "request_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None until the family's words are attached to a request: what a parent writes outside
    # a flow is kept for their case all the same.
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[MessageDirection] = mapped_column(_enum(MessageDirection))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    family_message_id: Mapped[int | None] = mapped_column(BigInteger)
    staff_message_id: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(32), default="text")
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[HelpRequest | None] = relationship(back_populates="messages")


class Draft(Base):
    """A help request or a self-assessment the family has started and not finished: kept
    apart from the dialog state, so going to the menu (or /start, or a restart) loses
    nothing, and the menu can offer to continue."""

    __tablename__ = "drafts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[DraftKind] = mapped_column(_enum(DraftKind), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    reminded_at: Mapped[datetime | None]


class SentMessage(Base):
    """Ids of messages in private chats over the last 48 hours (the bot's and the
    person's), so that «Clear this chat» can delete what Telegram still allows."""

    __tablename__ = "sent_messages"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WorkKind(enum.StrEnum):
    ROUTE = "route"  # open the request's topic and card in its queue's group
    SLA_REMIND = "sla_remind"  # unclaimed past its SLA: remind the topic and those on duty
    SLA_ESCALATE = "sla_escalate"  # unclaimed past twice its SLA: alert the coordinators
    CHECKIN = "checkin"  # ask a family how things are after help (target: a follow_up)
    CHECKIN_REMIND = "checkin_remind"  # no answer: one gentle reminder
    CHECKIN_ESCALATE = "checkin_escalate"  # still no answer: the specialist is told
    CALL_REMINDER = "call_reminder"  # a specialist's "call back at …" (target: a request)
    RESERVATION_END = "reservation_end"  # a held item is released (target: a loan)
    LOAN_REMIND = "loan_remind"  # a return date is near or here (target: a loan)
    STAY_ENDING = "stay_ending"  # a stay nears its planned end: the team plans the next step
    STATS_DIGEST = "stats_digest"  # Monday's figures of the week (target: a coordinator)


class DueWork(Base):
    """Durable work, claimed atomically by the scheduler's ticks (design §4): a restart fires
    every overdue item once, and two ticks never take the same one."""

    __tablename__ = "due_work"
    __table_args__ = (
        Index("ix_due_work_status_due_at", "status", "due_at"),
        # A case's items are cancelled by target (take, close, a check-in's answer).
        Index("ix_due_work_target_kind", "target_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[WorkKind] = mapped_column(_enum(WorkKind))
    target_id: Mapped[int] = mapped_column(BigInteger)  # a request or a follow-up, by kind
    # Whose item it is: a family's are cancelled by /forget and when they block the bot; a
    # specialist's reminder goes to them.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime]
    status: Mapped[WorkStatus] = mapped_column(_enum(WorkStatus), default=WorkStatus.PENDING)
    owner: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUp(Base):
    """A check-in after help: "How are things now?" — planned per kind of help
    (content/checkins.toml), sent by a due_work item, answered with one tap."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_status_due_at", "status", "due_at"),
        Index("ix_follow_ups_answered_at", "answered_at"),  # check-in answers of a period
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer, default=0)  # its place in the check-in plan
    due_at: Mapped[datetime]  # as planned; quiet hours may send it later (sent_at)
    status: Mapped[WorkStatus] = mapped_column(_enum(WorkStatus), default=WorkStatus.PENDING)
    sent_at: Mapped[datetime | None]
    answer: Mapped[CheckInAnswer | None] = mapped_column(_enum(CheckInAnswer))
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)  # Russian, HTML
    text_en: Mapped[str | None] = mapped_column(Text)  # for people who chose English
    media_kind: Mapped[str | None] = mapped_column(String(16))  # photo or document
    media_file_id: Mapped[str | None] = mapped_column(String(256))
    button_text: Mapped[str | None] = mapped_column(String(64))
    button_url: Mapped[str | None] = mapped_column(String(512))
    # Who receives it: {"regions": [...], "ages": [...], "locales": [...]}; empty is "any".
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[BroadcastStatus] = mapped_column(
        _enum(BroadcastStatus), default=BroadcastStatus.DRAFT
    )
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # The coordinator's live progress message.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BroadcastDelivery(Base):
    __tablename__ = "broadcast_deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "person_id"),
        Index("ix_broadcast_deliveries_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(256))


class Invite(Base):
    """One-time links that grant a staff role (the friendly way to onboard colleagues)."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    queue_key: Mapped[str | None] = mapped_column(String(64))  # for a specialist's invite
    region: Mapped[str | None] = mapped_column(String(32))  # a coordinator's figures' region
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who did what to which object. `details` never holds a family's words, names or phones."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class InboxStatus(enum.StrEnum):
    PENDING = "pending"  # stored, not handled yet: handled on the next start if the bot dies
    DONE = "done"
    FAILED = "failed"  # the handler raised; the person was given the apology


class InboxUpdate(Base):
    """Every update from Telegram, written before its offset is confirmed (durable intake).

    The row outlives the handling as the record that the update was seen, so a re-delivery
    does nothing; the payload, which holds what a family wrote, is dropped once handled.
    """

    __tablename__ = "update_inbox"
    # What waits to be handled, without reading the handled ones that are kept for days.
    __table_args__ = (
        Index(
            "ix_update_inbox_pending",
            "bot_id",
            "update_id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # Updates of one chat (or forum topic) are handled in order, one at a time.
    chat_key: Mapped[str] = mapped_column(String(48))
    payload: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InboxStatus] = mapped_column(_enum(InboxStatus), default=InboxStatus.PENDING)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    handled_at: Mapped[datetime | None]


class FsmRecord(Base):
    """aiogram FSM state and data, so a conversation survives a restart."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LoanStatus(enum.StrEnum):
    RESERVED = "reserved"  # held for the family, until `reserved_until`
    ACTIVE = "active"  # an item lent out, or a place taken: the family has it
    RETURNED = "returned"  # the item is back, or the family moved out
    RELEASED = "released"  # a reservation ended unused (its time ran out or it was cancelled)


class Stock(Base):
    """How many of one kind of item (or place) a point has, by state. Changed only by one
    conditional UPDATE each (db/repositories/points.py), so the counts stay exact when two
    specialists press at once."""

    __tablename__ = "stock"

    point_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    free: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    lent: Mapped[int] = mapped_column(Integer, default=0)  # on loan, or places taken
    written_off: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Loan(Base):
    """One item held, lent and returned — or one stay at a crisis place — for a request.
    Outlives /forget without the family: the thing is still on loan."""

    __tablename__ = "loans"
    __table_args__ = (Index("ix_loans_point_status", "point_key", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_key: Mapped[str] = mapped_column(String(32))
    item_key: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("requests.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[LoanStatus] = mapped_column(_enum(LoanStatus))
    reserved_until: Mapped[datetime | None]
    started_at: Mapped[datetime | None]  # handed over, or the day of arrival
    due_at: Mapped[datetime | None]  # the return date, or the planned end of a stay
    ended_at: Mapped[datetime | None]
    extended: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
