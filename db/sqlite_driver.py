"""aiosqlite with one thread hop per statement instead of four, or none at all.

SQLAlchemy's aiosqlite adapter opens a cursor, executes, fetches and closes — each a trip to
aiosqlite's worker thread and back to the event loop (a queue put, a thread wake-up, a
`call_soon_threadsafe`, a self-pipe write). A dozen statements per update made that the
largest part of an update's CPU. Here the cursor is made, the statement run and its rows read
in one trip; closing is left to the garbage collector, as the rows are already read.

Everything else — the worker thread, commit, rollback, close — is aiosqlite's own; the
statements never run on the event loop, so a slow one blocks no other update. That is what
report readers (`Database.reader()`) and one-shot tools use.

The writers' connection (`connect_inline`) runs its statements on the event loop itself.
Even one trip a statement, with its GIL hand-off and self-pipe wake-up, was about half the
CPU of an update whose statements each take microseconds (indexed, in one process's WAL).
What makes that safe:

* no busy handler blocks the loop: SQLite's `busy_timeout` is 0 there, and a statement that
  finds the database locked by another process *outside* a transaction (BEGIN IMMEDIATE,
  the connect-time pragmas) is retried after an asynchronous sleep, for up to
  `BUSY_TIMEOUT` seconds in all. Inside a transaction begun IMMEDIATE, WAL never answers
  busy, so nothing there is retried (retrying half a transaction would be wrong anyway);
* long reads go to the reader connections, which keep their thread. A long write (a purge,
  a broadcast's fan-out) holds the loop as long as it holds the write lock, which every
  update needed anyway.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")

# How long a writer waits in all for another process's lock (a backup, a second tool).
BUSY_TIMEOUT = 15.0
_FIRST_BUSY_SLEEP = 0.001
_MAX_BUSY_SLEEP = 0.05

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


def is_busy(exc: BaseException) -> bool:
    """SQLITE_BUSY (or one of its extended codes): another connection holds the lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF == 5


class _RunAtOnce:
    """Stands for aiosqlite's queue to its thread, which SQLAlchemy also uses directly (to
    set the isolation level): the call is made at once and its future resolved."""

    @staticmethod
    def put_nowait(item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, call = item
        try:
            result = call()
        except BaseException as exc:
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(OneHopConnection):
    """The same interface, with every call made on the event loop's thread (see above)."""

    busy_timeout = BUSY_TIMEOUT

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._open().__await__()

    async def _open(self) -> InlineConnection:
        if self._connection is None:
            self._connection = await self._unbusy(self._connector)
        return self

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return await self._unbusy(functools.partial(fn, *args, **kwargs))

    async def _unbusy(self, call: Callable[[], T]) -> T:
        """`call()`, again after a pause while another process holds the lock and we are
        outside a transaction (so nothing of ours was done yet)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_timeout
        pause = _FIRST_BUSY_SLEEP
        while True:
            try:
                return call()
            except sqlite3.OperationalError as exc:
                inside = self._connection is not None and self._connection.in_transaction
                if not is_busy(exc) or inside or loop.time() + pause > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _MAX_BUSY_SLEEP)

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def sqlite_of(adapted: Any) -> sqlite3.Connection | None:
    """The sqlite3 connection under SQLAlchemy's adapted DBAPI connection, if it is an
    inline (writers') connection."""
    driver = getattr(adapted, "_connection", None)
    return driver._connection if isinstance(driver, InlineConnection) else None


def _connector(database: str, kwargs: dict[str, Any]) -> Callable[[], sqlite3.Connection]:
    kwargs.pop("iter_chunk_size", None)
    return functools.partial(sqlite3.connect, database, **kwargs)


def connect(database: str, **kwargs: Any) -> OneHopConnection:
    """Like `aiosqlite.connect`; SQLAlchemy calls it through `async_creator_fn`."""
    connection = OneHopConnection(_connector(database, kwargs), 64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
    return connection


def connect_inline(database: str, **kwargs: Any) -> InlineConnection:
    """The writers' connection: statements run on the event loop, no thread is started."""
    return InlineConnection(_connector(database, kwargs), 64)
