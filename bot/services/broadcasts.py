"""Coordinators' broadcasts: who receives one (consenting subscribers, by segment), its life
(draft → scheduled → sending → done / cancelled) and the figures of its delivery. Free of
aiogram; the sender is bot/broadcaster.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import audit_own
from db.base import utcnow
from db.models import Broadcast, BroadcastStatus, DeliveryStatus, Person
from db.repositories import AuditRepo, BroadcastsRepo

ALLOWED_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
     "tg-spoiler", "span", "blockquote"}
)  # fmt: skip


@dataclass
class Segment:
    """Who receives a broadcast; an empty list means "any"."""

    regions: list[str] = field(default_factory=list)
    ages: list[str] = field(default_factory=list)
    locales: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"regions": self.regions, "ages": self.ages, "locales": self.locales}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Segment:
        data = data or {}
        return cls(
            list(data.get("regions") or []),
            list(data.get("ages") or []),
            list(data.get("locales") or []),
        )

    def fits(self, region: str | None, locale: str | None, ages: list[str]) -> bool:
        return (
            (not self.regions or region in self.regions)
            and (not self.locales or (locale or "ru") in self.locales)
            and (not self.ages or bool(set(self.ages) & set(ages)))
        )

    def toggle(self, kind: str, value: str) -> None:
        chosen: list[str] = getattr(self, kind)
        if value in chosen:
            chosen.remove(value)
        else:
            chosen.append(value)


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = self.problem or f"<{tag}> is not allowed"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f"</{tag}> closes nothing open"
        else:
            self.open.pop()


def html_problem(text: str) -> str | None:
    """What is wrong with a broadcast's HTML (None if nothing): an unbalanced or unknown
    tag is shown to the coordinator instead of being sent to thousands."""
    checker = _Balance()
    checker.feed(text)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.open:
        return f"<{checker.open[-1]}> is not closed"
    return None


async def audience(session: AsyncSession, segment: Segment) -> list[int]:
    """Only people who consented and subscribed to news, and are still reachable."""
    return [
        person_id
        for person_id, region, locale, ages in await BroadcastsRepo(session).subscribers()
        if segment.fits(region, locale, ages)
    ]


async def create(session: AsyncSession, author: Person, data: dict[str, Any]) -> Broadcast:
    return await BroadcastsRepo(session).add(
        Broadcast(
            author_id=author.id,
            text=data["text"],
            text_en=data.get("text_en"),
            media_kind=data.get("media_kind"),
            media_file_id=data.get("media_file_id"),
            button_text=data.get("button_text"),
            button_url=data.get("button_url"),
            segment=data.get("segment") or {},
        )
    )


async def start(
    session: AsyncSession, broadcast: Broadcast, author: Person, at: datetime | None = None
) -> int:
    """Send now (or at `at`): one delivery row per recipient, fixed at this moment."""
    now = utcnow()
    recipients = await audience(session, Segment.from_json(broadcast.segment))
    await BroadcastsRepo(session).enqueue(broadcast.id, recipients, now)
    broadcast.total = len(recipients)
    if at is not None and at > now:
        broadcast.status, broadcast.scheduled_at = BroadcastStatus.SCHEDULED, at
    else:
        broadcast.status, broadcast.started_at = BroadcastStatus.SENDING, now
    AuditRepo(session).add(
        "broadcast.start",
        actor_id=author.id,
        object_type="broadcast",
        object_id=broadcast.id,
        details={"recipients": str(len(recipients))},
    )
    return len(recipients)


async def cancel(session: AsyncSession, broadcast: Broadcast, author: Person) -> None:
    if broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
        return
    await BroadcastsRepo(session).cancel_pending(broadcast.id)
    broadcast.status, broadcast.finished_at = BroadcastStatus.CANCELLED, utcnow()
    AuditRepo(session).add(
        "broadcast.cancel", actor_id=author.id, object_type="broadcast", object_id=broadcast.id
    )


def unsubscribe(session: AsyncSession, person: Person) -> None:
    person.news_subscribed = False
    audit_own(session, person, "news.unsubscribe")


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    failed: int
    blocked: int
    unknown: int
    left: int


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    counts = await BroadcastsRepo(session).counts(broadcast.id)
    left = counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.WORKING, 0)
    return Progress(
        total=broadcast.total,
        sent=counts.get(DeliveryStatus.SENT, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        blocked=counts.get(DeliveryStatus.BLOCKED, 0),
        unknown=counts.get(DeliveryStatus.UNKNOWN, 0),
        left=left,
    )
