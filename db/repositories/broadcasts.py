from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    DeliveryStatus,
    Person,
)
from db.repositories._sql import picked


class BroadcastsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, broadcast: Broadcast) -> Broadcast:
        self.session.add(broadcast)
        await self.session.flush()
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id, populate_existing=True)

    async def recent(self, limit: int) -> list[Broadcast]:
        result = await self.session.scalars(
            select(Broadcast)
            .where(Broadcast.status != BroadcastStatus.DRAFT)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
        return list(result.all())

    async def active(self, now: datetime) -> list[Broadcast]:
        """Sending, or scheduled and due."""
        result = await self.session.scalars(
            select(Broadcast).where(
                (Broadcast.status == BroadcastStatus.SENDING)
                | (
                    (Broadcast.status == BroadcastStatus.SCHEDULED)
                    & (Broadcast.scheduled_at <= now)
                )
            )
        )
        return list(result.all())

    async def subscribers(self) -> list[tuple[int, str | None, str | None, list[str]]]:
        """(id, region, locale, children's ages) of everyone who may receive news."""
        result = await self.session.execute(
            select(Person.id, Person.region, Person.locale, Person.children_ages).where(
                Person.news_subscribed.is_(True),
                Person.is_active.is_(True),
                Person.consent_version.is_not(None),
                Person.telegram_id > 0,
            )
        )
        return [(row[0], row[1], row[2], list(row[3] or [])) for row in result.all()]

    async def enqueue(self, broadcast_id: int, person_ids: list[int], now: datetime) -> None:
        for start in range(0, len(person_ids), 5000):
            await self.session.execute(
                insert(BroadcastDelivery),
                [
                    {"broadcast_id": broadcast_id, "person_id": pid, "due_at": now}
                    for pid in person_ids[start : start + 5000]
                ],
            )

    async def claim(
        self, broadcast_id: int, owner: str, limit: int
    ) -> list[tuple[int, int, str | None]]:
        """Take up to `limit` pending deliveries: (delivery id, telegram id, locale)."""
        ids = (
            select(BroadcastDelivery.id)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status == DeliveryStatus.PENDING,
            )
            .order_by(BroadcastDelivery.id)
            .limit(limit)
        )
        claimed = await self.session.scalars(
            update(BroadcastDelivery)
            .where(picked(self.session, BroadcastDelivery.id, ids))
            .values(
                status=DeliveryStatus.WORKING, owner=owner, attempts=BroadcastDelivery.attempts + 1
            )
            .returning(BroadcastDelivery.id)
            .execution_options(synchronize_session=False)
        )
        taken = list(claimed.all())
        if not taken:
            return []
        rows = await self.session.execute(
            select(BroadcastDelivery.id, Person.telegram_id, Person.locale)
            .join(Person, Person.id == BroadcastDelivery.person_id)
            .where(BroadcastDelivery.id.in_(taken))
            .order_by(BroadcastDelivery.id)
        )
        return [(row[0], row[1], row[2]) for row in rows.all()]

    async def settle(self, delivery_ids: list[int], status: DeliveryStatus, **values: Any) -> None:
        if delivery_ids:
            await self.session.execute(
                update(BroadcastDelivery)
                .where(BroadcastDelivery.id.in_(delivery_ids))
                .values(status=status, owner=None, **values)
            )

    async def advance_shown(self, broadcast_id: int, done: int) -> bool:
        """While sending, `sent` holds the count last shown to the author: True for the one
        process (of several) that moves it forward, which then shows the progress."""
        result = await self.session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id,
                Broadcast.status == BroadcastStatus.SENDING,
                Broadcast.sent < done,
            )
            .values(sent=done)
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish(self, broadcast_id: int, now: datetime, sent: int, failed: int) -> bool:
        """Sending → done, once: True for the one process that made the change."""
        result = await self.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status == BroadcastStatus.SENDING)
            .values(status=BroadcastStatus.DONE, finished_at=now, sent=sent, failed=failed)
        )
        return bool(getattr(result, "rowcount", 0))

    async def unknown_after_crash(self, instance: str, but: str) -> int:
        """At start: deliveries this instance's previous run was sending when it died are not
        guessed (another instance's are its own, still in flight)."""
        result = await self.session.execute(
            update(BroadcastDelivery)
            .where(
                BroadcastDelivery.status == DeliveryStatus.WORKING,
                BroadcastDelivery.owner.startswith(f"{instance}:"),
                BroadcastDelivery.owner != but,
            )
            .values(status=DeliveryStatus.UNKNOWN, owner=None)
        )
        return int(getattr(result, "rowcount", 0))

    async def cancel_pending(self, broadcast_id: int) -> int:
        result = await self.session.execute(
            update(BroadcastDelivery)
            .where(
                BroadcastDelivery.broadcast_id == broadcast_id,
                BroadcastDelivery.status == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.CANCELLED)
        )
        return int(getattr(result, "rowcount", 0))

    async def counts(self, broadcast_id: int) -> dict[DeliveryStatus, int]:
        result = await self.session.execute(
            select(BroadcastDelivery.status, func.count(BroadcastDelivery.id))
            .where(BroadcastDelivery.broadcast_id == broadcast_id)
            .group_by(BroadcastDelivery.status)
        )
        return {row[0]: int(row[1]) for row in result.all()}
