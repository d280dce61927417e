"""aiosqlite with one thread hop per statement instead of four.

SQLAlchemy's aiosqlite adapter opens a cursor, executes, fetches and closes — each a trip to
aiosqlite's worker thread and back to the event loop (a queue put, a thread wake-up, a
`call_soon_threadsafe`, a self-pipe write). A dozen statements per update made that the
largest part of an update's CPU. Here the cursor is made, the statement run and its rows read
in one trip; closing is left to the garbage collector, as the rows are already read.

Everything else — the worker thread, commit, rollback, close — is aiosqlite's own; the
statements still never run on the event loop, so a slow one blocks no other update.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")

# Rows read with the statement; a longer result (an export streamed by the server-side
# cursor) is read on in further trips, so its memory stays bounded.
FIRST_ROWS = 256


def _run(
    conn: sqlite3.Connection, cursor: sqlite3.Cursor | None, sql: str, parameters: Any
) -> tuple[sqlite3.Cursor, list[Any]]:
    cur = cursor if cursor is not None else conn.cursor()
    cur.execute(sql, parameters)
    return cur, (cur.fetchmany(FIRST_ROWS) if cur.description else [])


class OneHopCursor(aiosqlite.Cursor):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.iter_chunk_size = conn._iter_chunk_size
        self._conn = conn
        self._cursor: sqlite3.Cursor | None = None  # type: ignore[assignment]
        self._rows: list[Any] = []
        self._more = False  # rows beyond those read with the statement may remain
        self._arraysize = 1

    async def _trip(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn` on the connection's worker thread (aiosqlite's own queue)."""
        result: T = await self._conn._execute(fn, *args)  # type: ignore[no-untyped-call]
        return result

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneHopCursor:
        conn = self._conn._conn
        self._cursor, self._rows = await self._trip(
            _run, conn, self._cursor, sql, [] if parameters is None else parameters
        )
        self._more = len(self._rows) == FIRST_ROWS
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneHopCursor:
        if self._cursor is None:
            self._cursor = await self._trip(self._conn._conn.cursor)
        self._rows, self._more = [], False
        await self._trip(self._cursor.executemany, sql, parameters)
        return self

    async def _read_on(self, size: int | None) -> None:
        assert self._cursor is not None
        fetch = self._cursor.fetchall if size is None else self._cursor.fetchmany
        rows = await self._trip(fetch) if size is None else await self._trip(fetch, size)
        self._more = size is not None and len(rows) == size
        self._rows += rows

    async def fetchall(self) -> list[Any]:
        if self._more:
            await self._read_on(None)
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        n = self.arraysize if size is None else size
        if len(self._rows) < n and self._more:
            await self._read_on(max(n, FIRST_ROWS))
        rows, self._rows = self._rows[:n], self._rows[n:]
        return rows

    async def fetchone(self) -> Any:
        rows = await self.fetchmany(1)
        return rows[0] if rows else None

    async def close(self) -> None:
        self._rows, self._more = [], False

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._cursor is None else self._cursor.lastrowid


class OneHopConnection(aiosqlite.Connection):
    def cursor(self) -> Any:  # SQLAlchemy awaits it through `__aenter__`
        return _Ready(OneHopCursor(self))


class _Ready:
    """What aiosqlite's `cursor()` returns: usable with `await` and `async with`."""

    def __init__(self, cursor: OneHopCursor) -> None:
        self.cursor = cursor

    def __await__(self) -> Any:
        async def ready() -> OneHopCursor:
            return self.cursor

        return ready().__await__()

    async def __aenter__(self) -> OneHopCursor:
        return self.cursor

    async def __aexit__(self, *exc: object) -> None:
        await self.cursor.close()


def connect(database: str, **kwargs: Any) -> OneHopConnection:
    """Like `aiosqlite.connect`; SQLAlchemy calls it through `async_creator_fn`."""
    kwargs.pop("iter_chunk_size", None)
    connection = OneHopConnection(lambda: sqlite3.connect(database, **kwargs), 64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    return connection
