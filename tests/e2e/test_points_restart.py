"""A hold on a rental point's item outlives a kill -9 of the real bot process: with the
clock moved past its 48 hours while the bot is down, the item is released exactly once on the
next start, and the family is told once."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from db.models import Loan, LoanStatus, Person, Role, Stock
from db.repositories import QueueLinksRepo, QueueStaffRepo, StockRepo
from db.session import Database
from sandbox import Emulator
from tests.e2e.conftest import BotProcess
from tests.e2e.test_checkins_restarts import MONDAY_10_IRKUTSK, move_clock
from tests.helpers import onboard, until


async def test_a_hold_past_48_hours_is_released_once_after_a_kill(
    emu: Emulator, spawn: Callable[..., BotProcess], db: Database, tmp_path: Path
) -> None:
    offset = tmp_path / "clock"
    move_clock(offset, MONDAY_10_IRKUTSK)
    bot = spawn(BOT_CLOCK_OFFSET_FILE=str(offset))
    await bot.start()

    anna = emu.add_user(first_name="Анна", language_code="ru")
    await anna.send("/start")
    await anna.wait_message(timeout=10)
    group = emu.add_forum_group("Мой малыш", members=[anna])
    async with db.session() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == anna.id))
        assert person is not None
        person.role, person.display_name = Role.SPECIALIST, "Анна"
        await QueueStaffRepo(session).add("irk_rental", person.id)
        await QueueLinksRepo(session).put("irk_rental", group.id, True, None)
        await StockRepo(session).add("irk_malysh", "pram", 1)

    parent = emu.add_user(language_code="en")
    await onboard(parent)
    await parent.click("🧸 Things for the child")
    await parent.wait_message("Pram — 1 free")
    await parent.click("Pram · 1 free")
    await parent.wait_message("How old is the child")
    await parent.click("under 6 months")
    await parent.wait_message("When do you need it")
    await parent.click("In the next few days")
    await parent.wait_message("Please check your request")
    await parent.click("✅ Send the request")
    await parent.wait_message("is registered")
    card = await group.wait_message(
        predicate=lambda m: (m.text or "").startswith("🧸") and bool(m.buttons), timeout=15
    )
    await group.click(anna, "📌 Придержать на 48 ч", message_id=card.message_id)
    await parent.wait_message("it is held for you", timeout=10)

    await bot.stop(signal.SIGKILL)
    move_clock(offset, MONDAY_10_IRKUTSK + timedelta(hours=49))
    await bot.start()
    await parent.wait_message("The hold has ended", timeout=20)
    await until(lambda: len(emu.calls("getUpdates")) > 3, timeout=10)  # a few more ticks
    assert sum(1 for m in parent.history if "The hold has ended" in (m.text or "")) == 1
    async with db.session() as session:
        stock = await session.get(Stock, ("irk_malysh", "pram"))
        loan = await session.scalar(select(Loan))
    assert stock is not None and (stock.free, stock.reserved) == (1, 0)
    assert loan is not None and loan.status is LoanStatus.RELEASED
    assert loan.ended_at is not None and loan.ended_at > datetime(2027, 3, 17, tzinfo=UTC)
