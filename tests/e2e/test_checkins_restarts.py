"""Check-ins survive restarts of the real bot process: with the clock moved past each one in
turn — across a graceful stop and a kill -9 — each is delivered exactly once."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from db.models import FollowUp, Person, Role
from db.repositories import QueueLinksRepo, QueueStaffRepo
from db.session import Database
from sandbox import Emulator, TestUser
from tests.e2e.conftest import BotProcess
from tests.helpers import onboard, until

MONDAY_10_IRKUTSK = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)


def move_clock(path: Path, to: datetime) -> None:
    path.write_text(str((to - datetime.now(UTC)).total_seconds()))


def asked(parent: TestUser) -> int:
    return sum(1 for m in parent.history if "How are things now" in (m.text or ""))


async def test_each_check_in_is_delivered_once_across_restarts(
    emu: Emulator, spawn: Callable[..., BotProcess], db: Database, tmp_path: Path
) -> None:
    offset = tmp_path / "clock"
    move_clock(offset, MONDAY_10_IRKUTSK)
    bot = spawn(BOT_CLOCK_OFFSET_FILE=str(offset))
    await bot.start()

    anna = emu.add_user(first_name="Анна", language_code="ru")
    await anna.send("/start")
    await anna.wait_message(timeout=10)
    group = emu.add_forum_group("Поддержка семьи", members=[anna])
    async with db.session() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == anna.id))
        assert person is not None
        person.role, person.display_name = Role.SPECIALIST, "Анна"
        await QueueStaffRepo(session).add("irk_family", person.id)
        await QueueLinksRepo(session).put("irk_family", group.id, True, None)

    parent = emu.add_user(language_code="en")
    await onboard(parent)
    await parent.send("/request")
    await parent.wait_message("What kind of help")
    await parent.click("⚖️ Documents, benefits, legal help")
    await parent.wait_message("in your own words")
    await parent.click("Skip: I will tell a specialist")
    await parent.wait_message("How soon")
    await parent.click("It can wait a few days")
    await parent.wait_message("How would you like")
    await parent.click("💬 Write to me here")
    await parent.wait_message("Please check your request")
    await parent.click("✅ Send the request")
    await parent.wait_message("is registered")
    await until(lambda: group.topics, timeout=15, what="the topic")
    [thread] = group.topics
    card = await group.wait_message(thread_id=thread, predicate=lambda m: bool(m.buttons))
    await group.click(anna, card.buttons[0][0], message_id=card.message_id)  # Take
    await parent.wait_message("has taken your request")
    card = next(m for m in group.history if m.message_id == card.message_id)
    await group.click(anna, card.buttons[-1][0], message_id=card.message_id)  # Close
    outcome = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) == 5)
    await group.click(anna, outcome.buttons[0][0], message_id=outcome.message_id)  # helped
    child = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) == 4)
    await group.click(anna, child.buttons[0][0], message_id=child.message_id)
    await parent.wait_message("Did this help?")
    async with db.session() as session:
        planned = [f.due_at for f in (await session.scalars(select(FollowUp))).all()]
    assert len(planned) == 3

    ways_to_stop = [signal.SIGTERM, signal.SIGKILL, None]
    for n, (due, stop) in enumerate(zip(sorted(planned), ways_to_stop, strict=True), start=1):
        if stop is not None:
            await bot.stop(stop)
        move_clock(offset, due)
        if stop is not None:
            await bot.start()
        await until(lambda n=n: asked(parent) >= n, timeout=20, what=f"check-in {n}")
    # A last tick or two after the third: nothing is sent twice.
    await until(lambda: len(emu.calls("getUpdates")) > 3, timeout=10)
    assert asked(parent) == 3
