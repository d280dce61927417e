"""The SQLite drivers: same results as aiosqlite; readers make one worker-thread trip a
statement, the writer none (and waits out another process's lock without blocking the loop)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db import sqlite_driver
from db.session import Database, create_engine

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
async def table(db: Database) -> Database:
    async with db.session() as s:
        await s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        await s.commit()
    return db


def count_trips(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    trips: list[Any] = []
    real = sqlite_driver.OneHopConnection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(fn)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver.OneHopConnection, "_execute", counted)
    return trips


async def test_a_statement_is_one_trip_and_its_rows_come_with_it(
    table: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with table.session() as s:
        inserted = await s.execute(text("INSERT INTO t (v) VALUES ('a'), ('b')"))
        assert inserted.rowcount == 2  # type: ignore[attr-defined]
        await s.commit()
    async with table.reader() as s:
        await s.execute(text("SELECT 1"))  # connected, in its read transaction
        trips = count_trips(monkeypatch)
        rows = (await s.execute(text("SELECT v FROM t ORDER BY id"))).all()
        assert [r.v for r in rows] == ["a", "b"]
        assert len(trips) == 1
        one = (await s.execute(text("SELECT v FROM t WHERE v = 'b'"))).scalar_one()
        assert one == "b"
        assert len(trips) == 2
        await s.commit()


async def test_long_results_stream_in_bounded_trips(table: Database) -> None:
    n = sqlite_driver.FIRST_ROWS * 3 + 7
    async with table.session() as s:
        await s.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": str(i)} for i in range(n)])
        await s.commit()
    async with table.session() as s:
        assert len((await s.execute(text("SELECT v FROM t"))).all()) == n
        streamed = await s.stream(text("SELECT v FROM t ORDER BY id"))
        seen = [row.v async for row in streamed]
        assert seen == [str(i) for i in range(n)]
        partitions = await s.stream(text("SELECT v FROM t ORDER BY id"))
        sizes = [len(p) async for p in partitions.partitions(100)]
        assert sum(sizes) == n and max(sizes) == 100


async def test_errors_are_the_drivers_and_the_connection_goes_on(table: Database) -> None:
    async with table.session() as s:
        with pytest.raises(Exception, match="no such table"):
            await s.execute(text("SELECT * FROM missing"))
        await s.rollback()
        assert (await s.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_a_report_reads_a_snapshot_and_never_holds_up_a_writer(table: Database) -> None:
    async with table.reader() as report:
        assert (await report.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        # The report's read transaction is open; a family's update writes meanwhile.
        async with table.session() as s:
            await s.execute(text("INSERT INTO t (v) VALUES ('new')"))
            await s.commit()
        assert (await report.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        with pytest.raises(Exception, match="readonly"):
            await report.execute(text("DELETE FROM t"))
    async with table.reader() as later:
        assert (await later.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1


def writer_path(db: Database) -> str:
    database = db.engine.url.database
    assert database
    return database


async def test_the_writer_runs_statements_on_the_loops_own_thread(table: Database) -> None:
    threads_before = threading.active_count()
    async with table.session() as s:
        thread = await s.run_sync(lambda _: threading.get_ident())
        await s.execute(text("INSERT INTO t (v) VALUES ('x')"))
        await s.commit()
    assert thread == threading.get_ident()
    assert threading.active_count() == threads_before  # no worker thread was started
    raw = await (await table.engine.connect()).get_raw_connection()
    assert isinstance(raw.driver_connection, sqlite_driver.InlineConnection)
    raw.close()


async def test_the_writer_waits_for_another_process_lock_without_blocking_the_loop(
    table: Database,
) -> None:
    other = sqlite3.connect(writer_path(table), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a backup or a second tool holds the write lock
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
    started = time.monotonic()
    try:
        async with table.session() as s:
            await s.execute(text("INSERT INTO t (v) VALUES ('after the lock')"))
            await s.commit()
    finally:
        ticker.cancel()
        other.close()
    assert time.monotonic() - started >= 0.25
    assert ticks >= 10  # the loop went on while the writer waited
    async with table.session() as s:
        assert (await s.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1


async def test_the_writer_gives_up_after_its_busy_timeout(
    table: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver.InlineConnection, "busy_timeout", 0.2)
    other = sqlite3.connect(writer_path(table), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            async with table.session() as s:
                await s.execute(text("INSERT INTO t (v) VALUES ('never')"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert 0.1 <= time.monotonic() - started < 2


async def test_a_one_shot_engine_keeps_the_thread_and_the_busy_handler(table: Database) -> None:
    engine = create_engine(str(table.engine.url), pooled=False)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
            raw = await conn.get_raw_connection()
            assert not isinstance(raw.driver_connection, sqlite_driver.InlineConnection)
    finally:
        await engine.dispose()
