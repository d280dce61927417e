"""The one-trip SQLite driver: same results as aiosqlite, one worker-thread trip a statement."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from db import sqlite_driver
from db.session import Database

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
