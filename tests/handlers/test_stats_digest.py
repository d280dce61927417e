"""The Monday digest: planned for Monday 09:00 on the coordinator's clock, sent once when it
comes (however many ticks and start-ups follow), with next week's planned; a coordinator who
turned it off in the settings gets nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from db.base import set_clock
from db.models import DueWork, HelpKind, HelpRequest, Person, Role, WorkKind, WorkStatus
from tests.handlers.conftest import App
from tests.handlers.personas import staff

THURSDAY = datetime(2027, 3, 11, 2, 0, tzinfo=UTC)  # 10:00 in Irkutsk
MONDAY_9_IRKUTSK = datetime(2027, 3, 15, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    now = [THURSDAY]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


async def _digests(app: App) -> list[DueWork]:
    async with app.db.session() as s:
        found = await s.scalars(
            select(DueWork).where(DueWork.kind == WorkKind.STATS_DIGEST).order_by(DueWork.id)
        )
        return list(found)


async def test_the_digest_comes_once_on_monday_morning(app: App, clock: list[datetime]) -> None:
    olga = app.emu.add_user(first_name="Ольга", language_code="en")
    ivan = app.emu.add_user(first_name="Иван", language_code="en")
    for lead in (olga, ivan):
        await staff(app, lead, Role.COORDINATOR)
    async with app.db.session() as s, s.begin():
        for person in await s.scalars(select(Person).where(Person.role == Role.COORDINATOR)):
            person.stats_region = "irkutsk"
            s.add(HelpRequest(person_id=person.id, region="irkutsk", help_kind=HelpKind.LEGAL,
                              created_at=THURSDAY - timedelta(days=2)))  # fmt: skip
    digest, work = app.dp["digest"], app.dp["work"]
    assert await digest.plan() == 2
    assert await digest.plan() == 0  # a start-up plans nothing twice
    assert {d.due_at for d in await _digests(app)} == {MONDAY_9_IRKUTSK}

    await ivan.send("/settings")
    await ivan.wait_message("Monday digest of the figures: on")
    await ivan.click("📊 Turn the Monday digest off")
    await ivan.wait_message("The digest is off")
    await work.drain(5)

    clock[0] = MONDAY_9_IRKUTSK - timedelta(minutes=1)
    await work.tick()
    assert not app.emu.calls("sendPhoto")
    clock[0] = MONDAY_9_IRKUTSK + timedelta(minutes=1)
    for _ in range(3):  # ticks, and a restart's planning, after the send
        await work.tick()
        await digest.plan()
    [sent] = app.emu.calls("sendPhoto")
    assert sent.params["chat_id"] in (olga.id, str(olga.id))
    # No language chosen: the bot's default, Russian (a job has no Telegram update to ask).
    assert "Неделя в цифрах · 8 мар. 2027 – 14 мар. 2027" in sent.result["caption"]
    assert "Новых обращений: 2" in sent.result["caption"]  # both of the week, Irkutsk's
    items = await _digests(app)
    assert [(d.person_id is not None, d.status) for d in items] == [
        (True, WorkStatus.DONE), (True, WorkStatus.CANCELLED), (True, WorkStatus.PENDING),
    ]  # fmt: skip
    assert items[2].due_at == MONDAY_9_IRKUTSK + timedelta(days=7)
