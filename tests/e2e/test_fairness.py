"""One person flooding the bot cannot stall everyone else, and loses no word of their own."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from db.models import Person, RequestMessage
from db.session import Database
from sandbox import Emulator, TestUser
from tests.e2e.conftest import BotProcess
from tests.helpers import onboard, until


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def test_a_flood_of_500_messages_does_not_slow_down_20_others(
    emu: Emulator, bot_process: BotProcess, db: Database
) -> None:
    emu.limiter.enabled = True  # Telegram's limits: 1/s per chat (burst 3), 30/s overall
    flooder = emu.add_user(language_code="en")
    await onboard(flooder)  # consented: what they write is kept

    async def flood() -> None:
        for n in range(500):  # 50 messages a second for 10 s
            await flooder.send(f"please help {n}")
            await asyncio.sleep(0.02)

    async def start_once(user: TestUser) -> float:
        sent = time.monotonic()
        await user.send("/start")
        await user.wait_message("Please choose", timeout=15)
        return time.monotonic() - sent

    async def others() -> list[float]:
        waits = []
        for n in range(20):  # one new person every 0.45 s, all during the flood
            await asyncio.sleep(0.45)
            user = emu.add_user(language_code="en", first_name=f"Other{n}")
            waits.append(asyncio.create_task(start_once(user)))
        return list(await asyncio.gather(*waits))

    flooding = asyncio.create_task(flood())
    latencies = await others()
    await flooding
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print(f"others during the flood: p50 {p50:.3f}s, p95 {p95:.3f}s")
    assert p95 < 1.0, f"p95 {p95:.2f}s: {latencies}"

    async def all_kept() -> bool:
        async with db.session() as session:
            kept = await session.scalar(
                select(func.count(RequestMessage.id))
                .join(Person, Person.id == RequestMessage.person_id)
                .where(Person.telegram_id == flooder.id)
            )
        return kept == 500

    await until(all_kept, timeout=30, what="all 500 messages to be kept")
    acks = [m for m in flooder.history if m.from_bot and "kept your words" in (m.text or "")]
    assert len(acks) == 1, "a burst gets one acknowledgement"
    too_many = [c for c in emu.calls() if c.status == 429]
    assert too_many == [], f"the bot caused {len(too_many)} rate-limit errors"
