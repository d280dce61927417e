"""Engine and session factory.

SQLite is tuned for a bot that many coroutines share: WAL so readers never block the writer,
`busy_timeout` so a writer waits instead of failing, foreign keys on. Every transaction starts
with BEGIN IMMEDIATE: a transaction that reads and then writes would otherwise fail at once
with "database is locked" when another connection wrote in between (WAL cannot upgrade a
stale read snapshot). Holding the write lock is cheap because the update pipeline commits
before each call to Telegram (see bot/middlewares/db.py).
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

SUPPORTED_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
BUSY_TIMEOUT_MS = 15_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver so that we emit it ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, *, echo: bool = False, pooled: bool = True) -> AsyncEngine:
    """`pooled=False` is for one-shot tools (migrations) that must not keep connections."""
    pool: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        if pooled:
            # One connection: its FIFO checkout queue serialises writers without polling.
            pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
        engine = create_async_engine(url, echo=echo, **pool)
        _tune_sqlite(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, **pool)


# The session of the unit of work in progress (an update being handled), if any.
current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


class NestedSessionError(RuntimeError):
    """A second session inside a unit of work: with SQLite's single pooled connection it
    would wait for the first one forever, so it is refused at once."""


class Database:
    """Owns the engine; hands out sessions. Built by the app factory, never at import."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> AsyncSession:
        if current_session.get() is not None:
            raise NestedSessionError("use the session of the update being handled")
        return self.sessionmaker()

    async def dispose(self) -> None:
        await self.engine.dispose()
