"""Exports a coordinator attaches to a report: the period's requests as CSV or XLSX, and the
audit log for admins. Pseudonymous by construction — the query selects no person, no words
and no phone (db/repositories/figures.py) — and each export is itself written to the audit
log. Rows are read and written chunk by chunk; XLSX goes through openpyxl's write-only mode,
in a thread, so a year of requests neither fills the memory nor stalls the event loop."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Person
from db.repositories import AuditRepo
from db.repositories.figures import FiguresRepo, Scope

TIMESTAMP = "%Y-%m-%d %H:%M"
TIME_COLUMNS = (6, 7, 8, 9)  # created, first answer, SLA due, closed: see export_rows


@dataclass(frozen=True)
class Sheet:
    """The words of an export, in the reader's language, and the clock of its times."""

    headers: tuple[str, ...]
    label: Callable[[StrEnum], str]  # a category, priority, outcome... in words
    tz: str
    title: str = "requests"


@dataclass(frozen=True)
class Export:
    data: bytes
    rows: int


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    # Spreadsheets know no time zones: the reader's own clock, written without one.
    return value.astimezone(zone).replace(tzinfo=None) if value is not None else None


def _cells(row: list[Any], sheet: Sheet, zone: ZoneInfo) -> list[Any]:
    out: list[Any] = []
    for n, value in enumerate(row):
        if n in TIME_COLUMNS:
            out.append(_local(value, zone))
        elif isinstance(value, StrEnum):
            out.append(sheet.label(value))
        else:
            out.append(value)
    return out


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(TIMESTAMP)
    return "" if value is None else value


async def _csv(headers: tuple[str, ...], rows: AsyncIterator[list[Any]]) -> Export:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    count = 0
    async for chunk in rows:
        writer.writerows([[_text(v) for v in row] for row in chunk])
        count += len(chunk)
    # With a BOM, Excel opens UTF-8 (Cyrillic region names) without asking.
    return Export(buffer.getvalue().encode("utf-8-sig"), count)


async def _localized(
    rows: AsyncIterator[list[Any]], sheet: Sheet
) -> AsyncIterator[list[list[Any]]]:
    zone = ZoneInfo(sheet.tz)
    async for chunk in rows:
        yield [_cells(row, sheet, zone) for row in chunk]


async def requests_csv(session: AsyncSession, scope: Scope, sheet: Sheet) -> Export:
    return await _csv(sheet.headers, _localized(FiguresRepo(session).export_rows(scope), sheet))


async def requests_xlsx(session: AsyncSession, scope: Scope, sheet: Sheet) -> Export:
    from openpyxl import Workbook  # not on the hot path: only an export needs it

    book = Workbook(write_only=True)
    page = book.create_sheet(sheet.title[:31])
    page.append(list(sheet.headers))
    count = 0
    async for chunk in _localized(FiguresRepo(session).export_rows(scope), sheet):
        await asyncio.to_thread(_append, page, chunk)
        count += len(chunk)
    return Export(await asyncio.to_thread(_save, book), count)


def _append(page: Any, rows: list[list[Any]]) -> None:
    for row in rows:
        page.append(row)


def _save(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def audit_csv(
    session: AsyncSession, start: datetime, end: datetime, tz: str, headers: tuple[str, ...]
) -> Export:
    """The audit log of a period: who did what to which object (ids only; the log never
    holds a family's words)."""
    zone = ZoneInfo(tz)

    async def rows() -> AsyncIterator[list[Any]]:
        async for chunk in FiguresRepo(session).audit_rows(start, end):
            yield [
                [i, _local(at, zone), actor, action, kind, obj, json.dumps(details or {})]
                for i, at, actor, action, kind, obj, details in chunk
            ]

    return await _csv(headers, rows())


def record(
    session: AsyncSession,
    person: Person,
    what: str,
    start: datetime,
    end: datetime,
    rows: int,
    scope: Scope | None = None,
) -> None:
    """Every export leaves a line in the audit log: who took which data, of what period."""
    details: dict[str, Any] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "rows": rows,
    }
    if scope is not None:
        details["regions"] = sorted(scope.regions) if scope.regions is not None else "all"
        details["queue"] = scope.queue or "all"
    AuditRepo(session).add(
        f"export.{what}", actor_id=person.id, object_type="export", details=details
    )
