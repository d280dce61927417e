from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from db.migrate import upgrade
from db.session import Database
from sandbox import Emulator
from tests.servers import PostgresServer, RedisServer

# `make test` runs the suite twice: on SQLite, then with TEST_DATABASE=postgresql on a real
# PostgreSQL server started here for the run.
ENGINE = os.environ.get("TEST_DATABASE", "sqlite")

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite itself")
    config.addinivalue_line("markers", "postgresql_only: needs PostgreSQL (several processes)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, the tests that touch a database (`db_url`, which `db` and every bot the
    tests start use) and are not about SQLite itself; the rest ran on the SQLite pass."""
    if ENGINE == "sqlite":
        skip = pytest.mark.skip(reason="runs in the PostgreSQL pass")
        for item in items:
            if "postgresql_only" in item.keywords:
                item.add_marker(skip)
        return
    keep, drop = [], []
    for item in items:
        uses_db = "db_url" in getattr(item, "fixturenames", ())
        (keep if uses_db and "sqlite_only" not in item.keywords else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | None]:
    if ENGINE != "postgresql":
        yield None
        return
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def migrated(postgres: PostgresServer | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the schema's head, which each test's `db` copies (migrating each test's
    own database took a third of a second)."""
    if postgres is not None:
        name = postgres.new_database()
        upgrade(postgres.url(name))
        return name
    path = tmp_path_factory.mktemp("template") / "head.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer | None) -> str:
    """An empty database; with `db` in the test, one at the schema's head."""
    wants_head = "db" in request.fixturenames
    if postgres is not None:
        template = request.getfixturevalue("migrated") if wants_head else "template0"
        return postgres.url(postgres.new_database(template))
    path = tmp_path / "test.db"
    if wants_head:
        shutil.copyfile(request.getfixturevalue("migrated"), path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
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
