"""Durable intake: a crash at any moment loses nobody's message and answers nobody twice."""

from __future__ import annotations

import signal
from collections.abc import Callable

from sandbox import Emulator, TestUser
from tests.e2e.conftest import BotProcess
from tests.helpers import until

PICKER = "Выберите, пожалуйста, язык"


def pickers(user: TestUser) -> int:
    return sum(1 for m in user.history if m.from_bot and PICKER in (m.text or ""))


def answered(users: list[TestUser]) -> int:
    return sum(1 for u in users if pickers(u) > 0)


def fetched_a_batch(emu: Emulator) -> bool:
    return any(c.ok and c.result for c in emu.calls("getUpdates"))


async def test_kill_9_during_a_burst_loses_nobody_and_answers_nobody_twice(
    emu: Emulator, spawn: Callable[..., BotProcess]
) -> None:
    bot = spawn()
    await bot.start()
    users = [emu.add_user(language_code="ru") for _ in range(200)]
    for user in users:
        await user.send("/start")

    # Right after the first batch was fetched, then a third of the way, then near the end.
    moments: list[Callable[[], bool]] = [
        lambda: fetched_a_batch(emu),
        lambda: answered(users) >= 70,
        lambda: answered(users) >= 150,
    ]
    for moment in moments:
        await until(moment, timeout=60, what="the moment to kill the bot")
        await bot.stop(signal.SIGKILL)
        await bot.start()

    await until(lambda: answered(users) == len(users), timeout=60, what="everyone to be answered")
    twice = [u.id for u in users if pickers(u) > 1]
    assert twice == [], f"{len(twice)} people were answered twice"
    assert "resuming" in bot.log()  # the restarts did find stored, unhandled updates


async def test_webhook_answers_200_only_for_what_is_stored(
    emu: Emulator, spawn: Callable[..., BotProcess], free_port: int
) -> None:
    bot = spawn(
        WEBHOOK_URL="https://bot.example.org/tg/hook",
        WEBHOOK_SECRET="s3cret-hook",
        WEBHOOK_LISTEN_HOST="127.0.0.1",
        WEBHOOK_LISTEN_PORT=str(free_port),
        # Replies at 5 a second, so that updates are acknowledged faster than answered.
        SEND_RATE_LIMIT="5",
    )
    local = f"http://127.0.0.1:{free_port}/tg/hook"

    async def start_and_point_the_webhook_here() -> None:
        seen = len(emu.calls("setWebhook"))
        await bot.start(wait=False)
        await until(lambda: len(emu.calls("setWebhook")) > seen, timeout=30, what="setWebhook")
        # The TLS proxy in front of the bot, played by pointing Telegram at the local port.
        status, _ = await emu.call(
            emu.default_token, "setWebhook", {"url": local, "secret_token": "s3cret-hook"}
        )
        assert status == 200

    await start_and_point_the_webhook_here()
    users = [emu.add_user(language_code="ru") for _ in range(40)]
    for user in users:
        await user.send("/start")
    await until(lambda: answered(users) >= 10, timeout=30, what="the first answers")
    await bot.stop(signal.SIGKILL)
    assert answered(users) < len(users)
    await start_and_point_the_webhook_here()

    await until(lambda: answered(users) == len(users), timeout=60, what="everyone to be answered")
    assert [u.id for u in users if pickers(u) > 1] == []
    assert "resuming" in bot.log()
