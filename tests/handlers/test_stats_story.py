"""/stats as a regional coordinator lives it: the last 30 days of their region in figures,
three charts and both exports, each export in the audit log; a typed period that is no
period gets a kind answer; a specialist and a parent are politely refused."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from db.base import set_clock
from db.models import (
    AuditLog,
    ChildStatus,
    HelpKind,
    HelpRequest,
    Outcome,
    Person,
    Priority,
    RequestStatus,
    Role,
)
from sandbox import TestUser
from tests.handlers.conftest import App
from tests.handlers.personas import staff
from tests.helpers import until

NOW = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)  # Monday 10:00 in Irkutsk
STORY = "Нам нечем платить за квартиру"


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    now = [NOW]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


async def _seed(app: App) -> None:
    """Six requests in Irkutsk Oblast over the last weeks, and two in Altai Krai."""
    async with app.db.session() as s, s.begin():
        family = Person(telegram_id=777, region="irkutsk", phone="+79990001122")
        s.add(family)
        await s.flush()
        for n, region in enumerate(["irkutsk"] * 6 + ["altai_krai"] * 2):
            created = NOW - timedelta(days=3 + n * 3)
            closed = n % 2 == 0
            s.add(
                HelpRequest(
                    person_id=family.id, region=region, queue_key="irk_family",
                    help_kind=(HelpKind.LEGAL, HelpKind.MATERIAL)[n % 2], priority=Priority.NORMAL,
                    summary=STORY, created_at=created, sla_due_at=created + timedelta(hours=8),
                    first_response_at=created + timedelta(hours=n + 1),
                    status=RequestStatus.CLOSED if closed else RequestStatus.IN_PROGRESS,
                    closed_at=created + timedelta(days=2) if closed else None,
                    outcome=Outcome.HELPED if closed else None,
                    child_status=ChildStatus.AT_HOME if closed else None,
                    rating=5 if closed else None,
                )
            )  # fmt: skip


def _file(app: App, record_result: dict, kind: str) -> bytes:  # type: ignore[type-arg]
    media = record_result[kind]
    file_id = (media[-1] if isinstance(media, list) else media)["file_id"]
    return bytes(app.emu.world.files[file_id].data)


async def test_a_coordinator_gets_figures_charts_and_files(app: App, clock: list[datetime]) -> None:
    await _seed(app)
    lead = app.emu.add_user(first_name="Ольга", language_code="en")
    await staff(app, lead, Role.COORDINATOR)
    async with app.db.session() as s, s.begin():
        person = await s.scalar(select(Person).where(Person.telegram_id == lead.id))
        assert person is not None
        person.stats_region = "irkutsk"

    await lead.send("/stats")
    screen = await lead.wait_message("Figures")
    assert "New requests: 6" in (screen.text or "")  # Irkutsk only, all six within 30 days
    assert "Region: Irkutsk Oblast" in (screen.text or "")
    assert "The child lives in the family: 3 of 3 (100%)" in (screen.text or "")
    buttons = [b for row in screen.buttons for b in row]
    assert "🧾 Audit log" not in buttons and "📍 Region" not in buttons  # one region, no admin

    await lead.click("📈 Charts")
    photos = await until(lambda: len(app.emu.calls("sendPhoto")) >= 3 or None, what="3 charts")
    assert photos
    for call in app.emu.calls("sendPhoto"):
        assert _file(app, call.result, "photo").startswith(b"\x89PNG")

    await lead.click("📄 CSV")
    await until(lambda: app.emu.calls("sendDocument"), what="the CSV")
    await lead.click("📗 XLSX")
    await until(lambda: len(app.emu.calls("sendDocument")) >= 2, what="the XLSX")
    as_csv, as_xlsx = (_file(app, c.result, "document") for c in app.emu.calls("sendDocument"))
    rows = list(csv.reader(io.StringIO(as_csv.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Request", "Region", "Queue", "Kind of help"]
    assert len(rows) == 7 and {r[1] for r in rows[1:]} == {"irkutsk"}
    book = load_workbook(io.BytesIO(as_xlsx), read_only=True)
    assert len(list(book.active.iter_rows(values_only=True))) == 7
    for data in (as_csv, as_xlsx):
        assert STORY.encode() not in data and b"+7999" not in data
    async with app.db.session() as s:
        actions = set(await s.scalars(select(AuditLog.action)))
    assert {"export.requests.csv", "export.requests.xlsx"} <= actions

    await lead.click("Dates…")
    await lead.wait_message("first and the last day")
    await lead.send("last spring")
    await lead.wait_message("could not read these dates")
    await lead.send("01.03.2027–10.03.2027")
    custom = await lead.wait_message("Figures")
    assert "New requests: 3" in (custom.text or "")  # the 3rd, the 6th and the 9th of March
    assert "Your dates: 1 Mar 2027 – 10 Mar 2027" in (custom.text or "")


@pytest.mark.parametrize("role", [Role.SPECIALIST, Role.PARENT])
async def test_others_are_politely_refused(app: App, role: Role) -> None:
    someone: TestUser = app.emu.add_user(first_name="Анна", language_code="en")
    await staff(app, someone, role, "irk_family" if role is Role.SPECIALIST else None)
    await someone.send("/stats")
    refusal = await someone.wait_message("coordinators")
    assert "ask your coordinator" in (refusal.text or "")
    assert not app.emu.calls("sendDocument") and not app.emu.calls("sendPhoto")
