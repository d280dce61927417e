"""The statements every update runs (its claim, message ids, dialog state, its person),
straight on SQLite's connection.

Through the session each such statement cost about 0.1 ms of CPU in SQLAlchemy (ORM
dispatch, the compiled cache's key, an execution context, a result), ten times what SQLite
itself spends on it. Here a statement is compiled once, with its parameters' processors
(how a datetime or JSON is stored), and run on the session's own connection in the
session's transaction, so it commits or rolls back with everything else. Only for SQLite's
writers' connection, which runs on the event loop (db/sqlite_driver.py); PostgreSQL, and a
session without one, go through `session.execute` as before.

A row read this way becomes an ORM object through `attach` (the column types' own result
processors, then committed values on a persistent instance): what the ORM's loading does
for a plain table, without its per-statement set-up.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Table, inspect
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from db.repositories._sql import _dialect
from db.session import Database
from db.sqlite_driver import InlineConnection

T = TypeVar("T")
Params = Mapping[str, Any]
Build = Callable[[str], Any]  # a statement built (and cached) for a dialect
_SQLITE = sqlite.dialect()
_RAW = "hot_sqlite3"  # key in the pooled connection's `info`


@dataclass(frozen=True)
class Prepared:
    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]  # values the statement itself carries (a literal None, a status)
    processors: dict[str, Callable[[Any], Any]]

    defaults: dict[str, Callable[[], Any]]  # an INSERT's Python-side column defaults

    def args(self, params: Params) -> list[Any]:
        values = []
        for name in self.names:
            if name in params:
                value = params[name]
            elif name in self.defaults:
                value = self.defaults[name]()
            else:
                value = self.fixed[name]
            process = self.processors.get(name)
            values.append(value if process is None else process(value))
        return values


def _default_of(column: Any) -> Callable[[], Any] | None:
    default = column.default
    if default is None or not (default.is_callable or default.is_scalar):
        return None
    if default.is_callable:
        return functools.partial(default.arg, None)  # SQLAlchemy's wrapper takes a context
    return functools.partial(lambda value: value, default.arg)


@functools.cache
def prepared(build: Build) -> Prepared:
    compiled = build("sqlite").compile(dialect=_SQLITE)
    names = tuple(compiled.positiontup or ())
    processors = {}
    for name in names:
        process = compiled.binds[name].type.dialect_impl(_SQLITE).bind_processor(_SQLITE)
        if process is not None:
            processors[name] = process
    fixed = compiled.construct_params(_check=False)
    defaults: dict[str, Callable[[], Any]] = {}
    table = getattr(compiled.statement, "table", None)
    if compiled.isinsert and isinstance(table, Table):
        for column in table.c:
            default = _default_of(column)
            if default is not None and column.key in names:
                defaults[column.key] = default
    return Prepared(str(compiled), names, fixed, processors, defaults)


async def _sqlite_of(session: AsyncSession) -> sqlite3.Connection | None:
    """The session's SQLite connection, in its transaction (begun here if need be), with
    the ORM's pending changes flushed first, as `session.execute` would (autoflush)."""
    sync = session.sync_session
    if sync.autoflush and (sync.new or sync.deleted or sync.dirty):
        await session.flush()
    # Asking the session for its connection costs more than the statement: it is kept for
    # the transaction that holds it (a new transaction may hold another).
    transaction = sync.get_transaction()
    held = sync.info.get(_RAW)
    if held is not None and transaction is not None and held[0] is transaction:
        raw: sqlite3.Connection | None = held[1]
        return raw
    connection = await session.connection()
    info = connection.info
    if _RAW not in info:
        driver = (await connection.get_raw_connection()).driver_connection
        info[_RAW] = driver._conn if isinstance(driver, InlineConnection) else None
    raw = info[_RAW]
    sync.info[_RAW] = (sync.get_transaction(), raw)
    return raw


async def execute(session: AsyncSession, build: Build, params: Params | Sequence[Params]) -> int:
    """Run a statement that returns no rows (one parameter set or many); its row count."""
    raw = await _sqlite_of(session) if _dialect(session) == "sqlite" else None
    if raw is None:
        result = await session.execute(build(_dialect(session)), params)
        return int(getattr(result, "rowcount", 0))
    statement = prepared(build)
    try:
        if isinstance(params, Mapping):
            cursor = raw.execute(statement.sql, statement.args(params))
        else:
            cursor = raw.executemany(statement.sql, [statement.args(p) for p in params])
    except sqlite3.Error as exc:
        # As SQLAlchemy would raise it, so that callers catching its errors still do.
        raise DBAPIError.instance(statement.sql, None, exc, sqlite3.Error) from exc
    return cursor.rowcount


def write_now(db: Database, build: Build, params: Sequence[Params]) -> bool:
    """Run a statement (one row each parameter set) in a transaction of its own, at once and
    synchronously, when SQLite's writers' connection is free; False when it is held, this
    is PostgreSQL, or another process holds the database: the caller then writes through a
    session. Some tenths of a millisecond less than a session's transaction, for a write
    that comes after each reply (bot/services/chat_log.py)."""
    if not params:
        return True
    raw = db.idle_sqlite_writer()
    if raw is None:
        return False
    statement = prepared(build)
    rows = [statement.args(p) for p in params]
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.Error:  # another process writes: no waiting on the event loop
        return False
    try:
        raw.executemany(statement.sql, rows)
        raw.execute("COMMIT")
    except sqlite3.Error:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        return False
    return True


async def fetch(
    session: AsyncSession, build: Build, params: Params
) -> list[tuple[Any, ...]] | None:
    """The rows of a statement on SQLite's connection; None where it must go through the
    session instead (PostgreSQL), for the caller's ORM path."""
    raw = await _sqlite_of(session) if _dialect(session) == "sqlite" else None
    if raw is None:
        return None
    statement = prepared(build)
    try:
        rows: list[tuple[Any, ...]] = raw.execute(statement.sql, statement.args(params)).fetchall()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement.sql, None, exc, sqlite3.Error) from exc
    return rows


@functools.cache
def _row_reader(cls: type[Any]) -> tuple[tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]:
    """The attribute names of a mapped table's columns, in order, and their result
    processors (text to datetime, JSON, enum, boolean)."""
    configure_mappers()  # an ORM query would have; attributes get their loaders here
    table = inspect(cls).local_table
    keys = tuple(inspect(cls).get_property_by_column(c).key for c in table.c)
    processors = tuple(
        c.type.dialect_impl(_SQLITE).result_processor(_SQLITE, None) for c in table.c
    )
    return keys, processors


def attach(session: AsyncSession, cls: type[T], row: Sequence[Any]) -> T:
    """The session's object for a row of all of `cls`'s table columns, in table order: the
    one already in the session if it is there (as an ORM query would return it), else a new
    persistent one, loaded and unchanged."""
    mapper = inspect(cls)
    keys, processors = _row_reader(mapper.class_)
    values = [v if p is None else p(v) for v, p in zip(row, processors, strict=True)]
    by_key = dict(zip(keys, values, strict=True))
    identity = mapper.identity_key_from_primary_key(
        [by_key[mapper.get_property_by_column(c).key] for c in mapper.primary_key]
    )
    existing = session.sync_session.identity_map.get(identity)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    obj: T = mapper.class_manager.new_instance()
    for key, value in by_key.items():
        set_committed_value(obj, key, value)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
