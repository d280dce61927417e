"""Layer 2: the real Dispatcher, in this process, polling the project's Bot API emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiogram import Bot, Dispatcher

from bot.app import create_bot, create_dispatcher, create_runner
from bot.config import Settings
from bot.dialogs.bursts import BurstGate
from bot.runner import UpdateRunner
from db.session import Database
from sandbox import Emulator
from tests.helpers import bot_settings, until


@dataclass
class App:
    emu: Emulator
    settings: Settings
    db: Database
    bot: Bot
    dp: Dispatcher
    runner: UpdateRunner

    def pass_time(self, seconds: float) -> None:
        """Move the bot's sense of "just now" forward (bursts of messages), not the world."""
        gate: BurstGate = self.dp["bursts"]
        clock = gate.clock
        gate.clock = lambda: clock() + seconds


@pytest.fixture
async def app(emu: Emulator, db: Database, db_url: str) -> AsyncIterator[App]:
    settings = bot_settings(emu, db_url)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db, scheduler=False)
    runner = create_runner(settings, bot, dp, db)
    polling = asyncio.create_task(runner.run_polling(polling_timeout=2, handle_signals=False))
    # getUpdates is logged when its long poll ends; deleteWebhook comes right before it.
    await until(lambda: emu.calls("deleteWebhook"), what="the bot to start polling")
    yield App(emu, settings, db, bot, dp, runner)
    runner.stop()
    await polling
    assert emu.violations == [], "the bot made calls that Telegram would reject"
