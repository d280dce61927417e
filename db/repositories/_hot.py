"""The statements every update runs (its claim, message ids, dialog state), straight on
SQLite's connection.

Through the session each such statement cost about 0.1 ms of CPU in SQLAlchemy (ORM
dispatch, the compiled cache's key, an execution context, a result), ten times what SQLite
itself spends on it. Here a statement is compiled once, with its parameters' processors
(how a datetime or JSON is stored), and run on the session's own connection in the
session's transaction, so it commits or rolls back with everything else. Only for SQLite's
writers' connection, which runs on the event loop (db/sqlite_driver.py); PostgreSQL, and a
session without one, go through `session.execute` as before.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories._sql import _dialect
from db.sqlite_driver import InlineConnection

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

    def args(self, params: Params) -> list[Any]:
        values = []
        for name in self.names:
            value = params[name] if name in params else self.fixed[name]
            process = self.processors.get(name)
            values.append(value if process is None else process(value))
        return values


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
    return Prepared(str(compiled), names, fixed, processors)


async def _sqlite_of(session: AsyncSession) -> sqlite3.Connection | None:
    """The session's SQLite connection, in its transaction (begun here if need be)."""
    connection = await session.connection()
    info = connection.info
    if _RAW not in info:
        driver = (await connection.get_raw_connection()).driver_connection
        info[_RAW] = driver._conn if isinstance(driver, InlineConnection) else None
    raw: sqlite3.Connection | None = info[_RAW]
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
