"""What every repository shares: the dialect's INSERT, which knows ON CONFLICT, and the two
small differences of arithmetic on time between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both SQLite and PostgreSQL do)."""
    return _insert_for(_dialect(session), table)


def _insert_for(dialect: str, table: Any) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def picked(session: AsyncSession, column: Any, ids: Select[Any]) -> Any:
    """`column IN (ids)` for a claim: the rows `ids` picks, each taken by one worker only.

    PostgreSQL locks them with FOR UPDATE SKIP LOCKED in a materialised CTE: as a plain
    `IN (subquery … LIMIT n)` the planner may run the subquery again for each row it updates
    and take more than n. SQLite has one writer at a time, which is lock enough.
    """
    if _dialect(session) != "postgresql":
        return column.in_(ids.scalar_subquery())
    rows = ids.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
    return column.in_(select(rows.c[0]))


def seconds_between(session: AsyncSession, later: Any, earlier: Any) -> Any:
    """`later - earlier` in seconds, as a float: SQLite keeps datetimes as text, so it counts
    Julian days; PostgreSQL subtracts timestamps."""
    if _dialect(session) == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def local_day(session: AsyncSession, column: Any, zone: str) -> Any:
    """The calendar day of a UTC timestamp on the clock of `zone` (ISO text or a date).
    SQLite knows no zones: the zone's offset now is used, exact for Russia, which keeps no
    summer time."""
    if _dialect(session) == "postgresql":
        return func.date(func.timezone(zone, column))
    offset = datetime.now(ZoneInfo(zone)).utcoffset() or timedelta(0)
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")
