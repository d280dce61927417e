from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from db.migrate import upgrade
from db.session import Database
from sandbox import Emulator

CONTRACT_ENV = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_URL",
    "ADMIN_IDS",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "LOG_LEVEL",
    "DEFAULT_LOCALE",
    "TIMEZONE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Tests never see the developer's own configuration (env vars or a .env file)."""
    for name in CONTRACT_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    # Alembic's env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade, db_url)
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """The Bot API emulator with the bot under test registered (tests/sandbox has its own)."""
    async with Emulator() as emulator:
        emulator.add_bot(username="semya_test_bot")
        yield emulator


@pytest.fixture
def settings(db_url: str) -> Settings:
    return load_settings(database_url=db_url, admin_ids="42")


def env_for(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONTRACT_ENV}
    env.update(values)
    return env
