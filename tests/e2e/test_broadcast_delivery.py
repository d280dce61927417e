"""A broadcast to 2,000 families through the real bot process, under the emulator's model of
Telegram's rate limits: no 429 caused by our pacing, an injected 429 loses nobody, a kill -9
in the middle and a restart give each family at most one copy (exactly one unless reported
unknown), and a parent's /start meanwhile is answered within a second."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, insert, select, update

from db.models import BroadcastDelivery, DeliveryStatus, Person, Role
from db.session import Database
from sandbox import Emulator, TestUser
from tests.e2e.conftest import BotProcess
from tests.helpers import until

RECIPIENTS = int(os.environ.get("BROADCAST_E2E_RECIPIENTS", "2000"))
TEXT = "В Иркутске открылся пункт проката «Мой малыш»"


def copies(user: TestUser) -> int:
    return sum(1 for m in user.history if TEXT in (m.text or ""))


async def _count(db: Database, status: DeliveryStatus) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(
                select(func.count(BroadcastDelivery.id)).where(BroadcastDelivery.status == status)
            )
            or 0
        )


@pytest.mark.timeout(300)  # 2,000 messages at 25 a second are 80 seconds by themselves
async def test_two_thousand_families_each_get_at_most_one_copy_across_a_kill(
    emu: Emulator, spawn: Callable[..., BotProcess], db: Database
) -> None:
    bot = spawn()
    await bot.start()
    olga = emu.add_user(first_name="Ольга", language_code="ru")
    await olga.send("/start")
    await olga.wait_message(timeout=10)
    families = [emu.add_user(language_code="ru") for _ in range(RECIPIENTS)]
    async with db.session() as session, session.begin():
        await session.execute(
            update(Person).where(Person.telegram_id == olga.id).values(role=Role.COORDINATOR)
        )
        await session.execute(
            insert(Person),
            [
                {"telegram_id": u.id, "locale": "ru", "consent_version": "2026-12",
                 "news_subscribed": True, "region": "irkutsk"}
                for u in families
            ],
        )  # fmt: skip

    await olga.send("/broadcast")
    await olga.wait_message("Отправьте текст")
    await olga.send(TEXT)
    for _ in range(3):  # no photo, no English version, no button
        prompt = await olga.wait_message(predicate=lambda m: bool(m.buttons))
        await olga.click(prompt.buttons[0][0], message_id=prompt.message_id)
    await olga.wait_message(f"{RECIPIENTS}")
    await olga.click("👁 Предпросмотр")
    await olga.wait_message(predicate=lambda m: ["📤 Отправить сейчас"] in m.buttons)

    emu.limiter.enabled = True  # Telegram's limits from here on
    emu.faults.inject("sendMessage", status=429, retry_after=1, times=1)
    await olga.click("📤 Отправить сейчас")
    await until(lambda: sum(copies(u) for u in families[:400]) > 150, timeout=60,
                what="the broadcast to get going")  # fmt: skip

    parent = emu.add_user(language_code="ru")
    asked = time.monotonic()
    await parent.send("/start")
    await parent.wait_message("Выберите", timeout=1.0)  # families' chats stay responsive
    assert time.monotonic() - asked < 1.0

    await bot.stop(signal.SIGKILL)
    await bot.start()
    await until(lambda: _no_pending(db), timeout=150, what="every delivery settled")

    unknown = await _count(db, DeliveryStatus.UNKNOWN)
    sent = await _count(db, DeliveryStatus.SENT)
    assert all(copies(u) <= 1 for u in families), "someone got two copies"
    assert sent + unknown == RECIPIENTS  # nobody skipped, nothing failed
    assert unknown <= 4  # at most the sends in flight at the kill (SLOTS)
    assert sum(copies(u) for u in families) >= sent
    limited = [c for c in emu.calls("sendMessage") if c.status == 429]
    assert len(limited) == 1, "our pacing caused a 429 beyond the injected one"


async def _no_pending(db: Database) -> bool:
    async with db.session() as session:
        left = await session.scalar(
            select(func.count(BroadcastDelivery.id)).where(
                BroadcastDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.WORKING])
            )
        )
    return left == 0
