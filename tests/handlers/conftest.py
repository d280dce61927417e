"""Layer 2: the real Dispatcher, in this process, polling the project's Bot API emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiogram import Bot, Dispatcher

from bot.app import create_bot, create_dispatcher
from bot.config import Settings
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


@pytest.fixture
async def app(emu: Emulator, db: Database, db_url: str) -> AsyncIterator[App]:
    settings = bot_settings(emu, db_url)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db, scheduler=False)
    polling = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_signals=False,
            polling_timeout=2,
            close_bot_session=True,
            tasks_concurrency_limit=settings.max_concurrent_updates,
        )
    )
    # getUpdates is logged when its long poll ends; getMe comes right before polling starts.
    await until(lambda: emu.calls("getMe"), what="the bot to start polling")
    yield App(emu, settings, db, bot, dp)
    await dp.stop_polling()
    await polling
    assert emu.violations == [], "the bot made calls that Telegram would reject"
