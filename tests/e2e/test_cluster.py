"""Three bot processes behind one webhook, sharing one PostgreSQL and one Redis.

The emulator plays the TLS proxy (Emulator.balance_webhook): updates go to the three in turn,
one in flight to each. The story: a parent's dialog continues whichever process gets the next
step; a burst survives a `kill -9` of one process (the other two take over what it stored,
then it is started again, as a supervisor would); two specialists pressing Take at once on
two processes — one wins; a check-in and a broadcast go out once although three schedulers
look for them.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import signal
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from db.models import FollowUp, HelpRequest, InboxStatus, InboxUpdate, Person, Role
from db.repositories import QueueLinksRepo, QueueStaffRepo
from db.session import Database
from sandbox import Emulator
from sandbox.testing import TestUser
from tests.e2e.conftest import BotProcess
from tests.helpers import onboard, until
from tests.servers import RedisServer, free_port

pytestmark = pytest.mark.postgresql_only

HOOK = "https://bot.example.org/tg/hook"
RATE = 10  # messages a second, overall
SECRET = "cluster-hook-secret"
HANDLED = re.compile(r"Update id=(\d+) is handled")
SKIPPED = re.compile(r"update (\d+) was already handled; skipped")


def handled(bots: list[BotProcess]) -> list[Counter[str]]:
    """Per process: the updates it handled (aiogram logs a skipped duplicate as handled too:
    the inbox's claim, not the log line, decides, so skips are taken off)."""
    return [
        Counter(HANDLED.findall(bot.log())) - Counter(SKIPPED.findall(bot.log())) for bot in bots
    ]


def move_clock(path: Path, to: datetime) -> None:
    path.write_text(str((to - datetime.now(UTC)).total_seconds()))


def count(user: TestUser, words: str) -> int:
    return sum(1 for m in user.history if words in (m.text or ""))


async def start_all(emu: Emulator, bots: list[BotProcess]) -> None:
    seen = len(emu.calls("setWebhook"))
    for bot in bots:
        await bot.start(wait=False)
    await until(lambda: len(emu.calls("setWebhook")) >= seen + len(bots), timeout=40,
                what="every instance to set the webhook")  # fmt: skip


async def test_three_instances_share_the_work_and_lose_nothing(
    emu: Emulator,
    spawn: Callable[..., BotProcess],
    db: Database,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    clock = tmp_path / "clock"
    move_clock(clock, datetime.now(UTC))
    ports = [free_port() for _ in range(3)]
    shared = {
        "WEBHOOK_URL": HOOK,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN_HOST": "127.0.0.1",
        "REDIS_URL": redis_server.url,
        "BOT_CLOCK_OFFSET_FILE": str(clock),
        # Telegram's limits are the bot's: the three keep them together, through Redis.
        "SEND_RATE_LIMIT": str(RATE),
        "BROADCAST_RATE": "8",
        # What a dead replica stored is taken over after this (120 s in production).
        "ADOPT_UPDATES_AFTER": "3",
    }
    bots = [
        spawn(**shared, WEBHOOK_LISTEN_PORT=str(port), INSTANCE_ID=f"bot{n}")
        for n, port in enumerate(ports)
    ]
    emu.balance_webhook(HOOK, [f"http://127.0.0.1:{port}/tg/hook" for port in ports])
    await start_all(emu, bots)

    # A dialog of eight steps, each to the next process in turn: the state is in Redis.
    parent = emu.add_user(language_code="en")
    await onboard(parent)
    assert all(sum(c.values()) > 0 for c in handled(bots)), "each process took a step"

    # A burst; one process is killed in the middle of it. The proxy stops sending to it, and
    # the other two take over what it had stored but not handled, while it stays down.
    families = [emu.add_user(language_code="ru") for _ in range(45)]
    for family in families:
        await family.send("/start")
    await until(lambda: sum(count(f, "Здравствуйте") for f in families) >= 10, timeout=30,
                what="the first answers")  # fmt: skip
    await bots[1].stop(signal.SIGKILL)
    emu.balance_webhook(HOOK, [f"http://127.0.0.1:{port}/tg/hook" for port in ports[::2]])

    async def settled() -> bool:
        async with db.session() as session:
            statuses = (await session.scalars(select(InboxUpdate.status))).all()
        return not emu._bot(None).updates and InboxStatus.PENDING not in statuses

    await until(settled, timeout=90, what="every stored update to be handled")
    # The three sent at one overall rate: no second had more than the first burst and the
    # rate (three processes pacing alone would have sent thrice the burst at once).
    sends = sorted(c.time for c in emu.calls("sendMessage") if c.ok)
    busiest = max(bisect.bisect_left(sends, t + 1.0) - i for i, t in enumerate(sends))
    assert busiest <= 2 * RATE + 1, f"{busiest} messages in one second"

    # Started again (as a supervisor would), it finds nothing of its own left to do.
    emu.balance_webhook(HOOK, [f"http://127.0.0.1:{port}/tg/hook" for port in ports])
    await start_all(emu, [bots[1]])
    await asyncio.sleep(1)
    # Nothing is lost from the intake: every family's /start was handled, once. A reply the
    # killed process had committed but not yet sent is gone with it (the price of never
    # answering twice): at most the few in that moment; the family's next message is answered.
    missing = [f for f in families if not count(f, "Здравствуйте")]
    assert len(missing) <= 2, f"{len(missing)} families got no answer"
    assert [f.id for f in families if count(f, "Здравствуйте") > 1] == []
    for family in missing:
        await family.send("/start")
        await family.wait_message("Здравствуйте", timeout=30)

    # Two specialists press Take at the same moment; the presses reach two processes.
    anna, boris = emu.add_user(first_name="Анна"), emu.add_user(first_name="Борис")
    for person in (anna, boris):
        await person.send("/start")
        await person.wait_message(timeout=15)
    group = emu.add_forum_group("Поддержка семьи", members=[anna, boris])
    async with db.session() as session, session.begin():
        for user in (anna, boris):
            person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
            assert person is not None
            person.role, person.display_name = Role.SPECIALIST, user.first_name
            await QueueStaffRepo(session).add("irk_family", person.id)
        await QueueLinksRepo(session).put("irk_family", group.id, True, None)
    await parent.send("/request")
    await parent.wait_message("What kind of help")
    for button, then in (
        ("⚖️ Documents, benefits, legal help", "in your own words"),
        ("Skip: I will tell a specialist", "How soon"),
        ("It can wait a few days", "How would you like"),
        ("💬 Write to me here", "Please check your request"),
        ("✅ Send the request", "is registered"),
    ):
        await parent.click(button)
        await parent.wait_message(then, timeout=15)
    await until(lambda: group.topics, timeout=20, what="the topic")
    [thread] = group.topics
    card = await group.wait_message(thread_id=thread, predicate=lambda m: bool(m.buttons))
    take = card.buttons[0][0]
    await asyncio.gather(
        group.click(anna, take, message_id=card.message_id),
        group.click(boris, take, message_id=card.message_id),
    )
    await parent.wait_message("has taken your request", timeout=15)
    async with db.session() as session:
        request = await session.scalar(select(HelpRequest))
        assert request is not None and request.assignee_id is not None
        winner = await session.get(Person, request.assignee_id)
    assert winner is not None
    await asyncio.sleep(1)
    assert count(parent, "has taken your request") == 1

    # Closed as helped: the first check-in falls due; three schedulers look, one sends it.
    winner_user = anna if winner.telegram_id == anna.id else boris
    card = next(m for m in group.history if m.message_id == card.message_id)
    await group.click(winner_user, card.buttons[-1][0], message_id=card.message_id)  # Close
    outcome = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) == 5)
    await group.click(winner_user, outcome.buttons[0][0], message_id=outcome.message_id)
    child = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) == 4)
    await group.click(winner_user, child.buttons[0][0], message_id=child.message_id)
    await parent.wait_message("Did this help?", timeout=15)
    async with db.session() as session:
        first = min(f.due_at for f in (await session.scalars(select(FollowUp))).all())
    move_clock(clock, first + timedelta(minutes=1))
    await until(lambda: count(parent, "How are things now") >= 1, timeout=30, what="check-in")

    # A broadcast to forty subscribers: each gets one copy.
    readers = [emu.add_user(language_code="ru") for _ in range(40)]
    async with db.session() as session, session.begin():
        await session.execute(
            insert(Person),
            [{"telegram_id": u.id, "locale": "ru", "consent_version": "2026-12",
              "news_subscribed": True, "region": "irkutsk"} for u in readers],
        )  # fmt: skip
    maria = emu.add_user(first_name="Мария", language_code="ru")
    await maria.send("/start")
    await maria.wait_message(timeout=15)
    async with db.session() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == maria.id))
        assert person is not None
        person.role = Role.COORDINATOR
    await maria.send("/broadcast")
    await maria.wait_message("Отправьте текст", timeout=15)
    await maria.send("Открылся пункт проката «Мой малыш» в Ангарске.")
    # No photo, no English version, no button: each prompt in turn, as a person reads them.
    for prompt in ("Добавить фото", "Английская версия", "кнопку со ссылкой"):
        await maria.wait_message(prompt, timeout=15)
        await maria.click("Пропустить »")
    await maria.wait_message(f"{len(readers)}", timeout=15)
    await maria.click("👁 Предпросмотр")
    await maria.wait_message(predicate=lambda m: ["📤 Отправить сейчас"] in m.buttons)
    await maria.click("📤 Отправить сейчас")
    await until(lambda: all(count(r, "Мой малыш") for r in readers), timeout=60,
                what="every subscriber to get the news")  # fmt: skip

    await asyncio.sleep(3)  # the schedulers' next ticks: still once each
    assert count(parent, "How are things now") == 1
    assert [r.id for r in readers if count(r, "Мой малыш") != 1] == []
    totals = handled(bots)
    twice = [u for u, n in sum(totals, Counter()).items() if n > 1]
    assert twice == [], "an update handled by two processes (or twice by one)"
