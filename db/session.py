"""Engine and session factory.

SQLite is tuned for a bot that many coroutines share: WAL so readers never block the writer,
a writer that waits for another process's lock instead of failing (asynchronously: the
writers' connection runs on the event loop, db/sqlite_driver.py), foreign keys on. Every
transaction starts with BEGIN IMMEDIATE: a transaction that reads and then writes would
otherwise fail at once with "database is locked" when another connection wrote in between
(WAL cannot upgrade a stale read snapshot). Holding the write lock is cheap because the
update pipeline commits before each call to Telegram (see bot/middlewares/db.py).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from db import sqlite_driver

SUPPORTED_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
BUSY_TIMEOUT_MS = 15_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(describe_storage_error(url, exc)) from None


def _tune_sqlite(engine: AsyncEngine, pragmas: tuple[str, ...], begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver so that we emit it ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Straight on the writers' connection when it takes it at once (a fortieth of an
        # update's CPU went to SQLAlchemy's statement machinery for this one word); through
        # it when another process holds the lock, to be waited for asynchronously.
        raw = sqlite_driver.sqlite_of(conn.connection.dbapi_connection)
        if raw is not None:
            try:
                raw.execute(begin)
                return
            except sqlite3.Error:
                pass
        conn.exec_driver_sql(begin)


def _writer_pragmas(*, inline: bool) -> tuple[str, ...]:
    # On the event loop a busy handler would stop every coroutine: the inline driver waits
    # for another process's lock asynchronously instead (db/sqlite_driver.py).
    busy_timeout = 0 if inline else BUSY_TIMEOUT_MS
    return ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
            f"busy_timeout={busy_timeout}")  # fmt: skip


# Reports: read only, and a deferred BEGIN — one consistent snapshot for a report's queries,
# no write lock (WAL).
_READER_PRAGMAS = ("query_only=ON", f"busy_timeout={BUSY_TIMEOUT_MS}")


def create_engine(url: str, *, echo: bool = False, pooled: bool = True) -> AsyncEngine:
    """`pooled=False` is for one-shot tools (migrations) that must not keep connections."""
    pool: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if is_sqlite(url):
        _ensure_sqlite_dir(url)
        if pooled:
            # One connection: its FIFO checkout queue serialises writers without polling.
            pool = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
        # The pooled writer runs statements on the event loop (no thread hop each); a
        # one-shot tool keeps aiosqlite's thread and the plain busy handler.
        connect = sqlite_driver.connect_inline if pooled else sqlite_driver.connect
        engine = create_async_engine(
            url, echo=echo, connect_args={"async_creator_fn": connect}, **pool
        )
        _tune_sqlite(engine, _writer_pragmas(inline=pooled), "BEGIN IMMEDIATE")
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, **pool)


class _IdleWriter:
    """SQLite's writers' connection (one, pooled) while nobody holds it, for a short write
    made at once and synchronously, without a session (`_hot.write_now`). Nothing can take
    the connection meanwhile: the pool hands it out only on the event loop, which such a
    write does not leave."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._raw: sqlite3.Connection | None = None
        self._held: set[int] = set()  # connection records checked out of the pool
        target = engine.sync_engine
        event.listen(target, "connect", self._connected)
        event.listen(target, "close", self._closed)
        event.listen(target, "checkout", lambda _c, record, _p: self._held.add(id(record)))
        event.listen(target, "checkin", lambda _c, record: self._held.discard(id(record)))

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        self._raw = sqlite_driver.sqlite_of(dbapi_connection)

    def _closed(self, _dbapi_connection: Any, _record: Any) -> None:
        self._raw = None

    def get(self) -> sqlite3.Connection | None:
        raw = self._raw
        if self._held or raw is None or raw.in_transaction:
            return None
        return raw


# The session of the unit of work in progress (an update being handled), if any.
current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


_ON_COMMIT = "on_commit"  # key in Session.info: what waits for the transaction's end


def on_commit(session: AsyncSession, callback: Callable[[bool], None]) -> None:
    """Call `callback(True)` once the session's current transaction has committed, or
    `callback(False)` if it rolls back instead. Only for the sessions of a `Database`."""
    session.sync_session.info.setdefault(_ON_COMMIT, []).append(callback)


def _session_class() -> type[Session]:
    """A Session class of one database's own, with its transaction-end listeners attached
    once: attaching them to each session was a measurable part of every update."""

    class _Session(Session):
        pass

    def ended(session: Session, committed: bool) -> None:
        for callback in session.info.pop(_ON_COMMIT, ()):
            callback(committed)

    event.listen(_Session, "after_commit", lambda session: ended(session, True))
    event.listen(_Session, "after_soft_rollback", lambda session, _: ended(session, False))
    return _Session


class NestedSessionError(RuntimeError):
    """A second session inside a unit of work: with SQLite's single pooled connection it
    would wait for the first one forever, so it is refused at once."""


class Database:
    """Owns the engine; hands out sessions. Built by the app factory, never at import."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=_session_class()
        )
        self._reader: async_sessionmaker[AsyncSession] | None = None
        self._reader_engine: AsyncEngine | None = None
        self._idle = _IdleWriter(self.engine) if is_sqlite(url) else None

    def idle_sqlite_writer(self) -> sqlite3.Connection | None:
        """SQLite's writers' connection if nobody holds it now (see `_IdleWriter`)."""
        return self._idle.get() if self._idle is not None else None

    def session(self) -> AsyncSession:
        if current_session.get() is not None:
            raise NestedSessionError("use the session of the update being handled")
        return self.sessionmaker()

    def reader(self) -> AsyncSession:
        """A read-only session for reports (statistics, exports) that read for a while.

        On SQLite it has connections of its own (the writers' single connection stays free
        for the families' updates) and reads a WAL snapshot, which never blocks a writer;
        PostgreSQL's pool already has several connections. Allowed inside an update's unit of
        work: it cannot wait for the update's own connection.
        """
        if not is_sqlite(self.url):
            return self.sessionmaker()
        if self._reader is None:
            engine = create_async_engine(
                self.url,
                connect_args={"async_creator_fn": sqlite_driver.connect},
                pool_size=2,
                max_overflow=0,
                pool_timeout=60,
            )
            _tune_sqlite(engine, _READER_PRAGMAS, "BEGIN")
            self._reader_engine = engine
            self._reader = async_sessionmaker(engine, expire_on_commit=False)
        return self._reader()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._reader_engine is not None:
            await self._reader_engine.dispose()


class StorageError(Exception):
    """The database cannot be used; the message is one line for whoever runs the bot."""


def describe_storage_error(url: str, exc: BaseException) -> str:
    """One line that names the database and the reason, never a statement or its values."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        reason = str(exc.orig.args[0]) if exc.orig.args else type(exc.orig).__name__
    elif isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
    else:
        reason = type(exc).__name__
    return _storage_line(url, reason, os_error=isinstance(exc, OSError))


def _storage_line(url: str, reason: str, *, os_error: bool = False) -> str:
    where = make_url(url).database if is_sqlite(url) else make_url(url).render_as_string()
    hint = ""
    if "unable to open" in reason or "readonly" in reason or os_error:
        hint = " (does the directory exist, and may the bot write there?)"
    elif "full" in reason or "I/O" in reason:
        hint = " (is the disk full?)"
    elif "not a database" in reason:
        hint = " (restore a backup, or point DATABASE_URL to another file)"
    return f"database error: {where}: {reason}{hint}"


def check_sqlite(url: str, head: str | None = None) -> None:
    """Before anything else opens it: the SQLite file can be created, read and written, and
    (given `head`) is at the schema's head; else StorageError.

    Plain sqlite3, no event loop: aiosqlite's worker thread, when a connection fails, may
    outlive the loop and print a traceback at exit.
    """
    if not is_sqlite(url):
        return
    _ensure_sqlite_dir(url)
    path = make_url(url).database or ""
    try:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            if head is not None:
                found = _schema_revision(conn)
                if found != head:
                    raise StorageError(
                        f"database is at revision {found or 'none'}, the bot needs {head}: "
                        "run `python -m bot migrate` first"
                        if found
                        else "database is not set up: run `python -m bot migrate` first"
                    )
            # A real write, so that a full disk or a read-only file shows now, not mid-dialog.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TABLE IF NOT EXISTS _write_check (x INTEGER)")
            conn.execute("DROP TABLE _write_check")
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        raise StorageError(_storage_line(url, str(exc.args[0]) if exc.args else "")) from None


def _schema_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return str(row[0]) if row else None


async def check_database(db: Database, head: str | None) -> None:
    """Readable, at the schema's head and writable, or StorageError: checked before serving.
    SQLite is checked by `check_sqlite` before the engine exists."""
    if is_sqlite(db.url):
        return
    try:
        async with db.engine.connect() as conn:
            found = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            if found != head:
                raise StorageError(
                    f"database is at revision {found or 'none'}, the bot needs {head}: "
                    "run `python -m bot migrate` first"
                )
            # A real write, so that a full disk or a read-only file shows now, not mid-dialog.
            await conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
            await conn.commit()
    except StorageError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        if "no such table: alembic_version" in str(exc):
            raise StorageError(
                "database is not set up: run `python -m bot migrate` first"
            ) from None
        raise StorageError(describe_storage_error(db.url, exc)) from None
