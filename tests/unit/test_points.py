"""The points file is checked at start-up; counts move by conditional UPDATEs that stay exact
when two connections race; a manual «came back» never takes back a loan the bot tracks."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.services import points as pts
from bot.services.content import ContentError
from bot.services.points import Change, load_points
from bot.services.queues import load_queues
from bot.services.regions import load_regions
from db.base import utcnow
from db.models import HelpKind, HelpRequest, Loan, LoanStatus, Person, RequestStatus
from db.repositories import StockRepo
from db.session import Database

_IDS = itertools.count(1000)
REGIONS = load_regions()
QUEUES = load_queues(regions=REGIONS)
POINTS = load_points(regions=REGIONS, queues=QUEUES)

ITEM = """
[[item]]
key = "pram"
name_ru = "Коляска"
name_en = "Pram"
ages_ru = "до 3 лет"
ages_en = "to 3"
loan_months = 6

[[place]]
key = "bed"
name_ru = "Место"
name_en = "Place"
for_ru = "мамы"
for_en = "mothers"
max_days = 90
"""


def _point(**fields: object) -> str:
    entry = {
        "key": '"p1"', "kind": '"rental"', "region": '"irkutsk"', "queue": '"irk_rental"',
        "name_ru": '"П"', "name_en": '"P"', "town_ru": '"Г"', "town_en": '"T"',
        "items": '["pram"]',
    }  # fmt: skip
    entry.update({k: str(v) for k, v in fields.items()})
    return ITEM + "\n[[point]]\n" + "\n".join(f"{k} = {v}" for k, v in entry.items()) + "\n"


def test_the_shipped_points_file_loads_and_every_point_has_a_queue_of_its_region() -> None:
    assert {p.kind for p in POINTS.items} == {pts.RENTAL, pts.SHELTER}
    for point in POINTS.items:
        queue = QUEUES.get(point.queue)
        assert queue is not None and point.help_kind.value in queue.help
        assert point.region in queue.regions
    # Nothing the sources do not state is shown as real.
    assert all(p.example for p in POINTS.items if p.key != "prim_vladmama")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"items": '["sofa"]'}, "'sofa' is not a [[item]] key"),
        ({"items": '["bed"]'}, "'bed' is not a [[item]] key"),  # a place in a rental point
        ({"region": '"atlantis"'}, "unknown region 'atlantis'"),
        ({"queue": '"nowhere"'}, "unknown queue 'nowhere'"),
        ({"key": '"Bad Key"'}, "a unique key"),
        ({"kind": '"shop"'}, 'kind is "rental" or "shelter"'),
        ({"town_en": '""'}, "needs town_ru and town_en"),
    ],
)
def test_a_mistake_in_the_points_file_is_named_in_one_line(
    tmp_path: Path, fields: dict[str, object], problem: str
) -> None:
    path = tmp_path / "points.toml"
    path.write_text(_point(**fields), encoding="utf-8")
    with pytest.raises(ContentError, match=r"points\.toml") as error:
        load_points(path, REGIONS, QUEUES)
    assert problem in str(error.value) and "\n" not in str(error.value)


def test_a_loan_of_months_ends_on_the_same_day_or_the_month_s_last() -> None:
    assert pts.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert pts.add_months(date(2027, 11, 15), 6) == date(2028, 5, 15)
    assert pts.add_months(date(2028, 8, 31), 6) == date(2029, 2, 28)


async def _family_request(db: Database, point: str, item: str) -> HelpRequest:
    async with db.session() as session, session.begin():
        person = Person(telegram_id=next(_IDS))
        session.add(person)
        await session.flush()
        request = HelpRequest(
            person_id=person.id, help_kind=HelpKind.RENTAL, queue_key="irk_rental",
            resource={"point": point, "item": item, "who": "0", "when": "s"},
        )  # fmt: skip
        session.add(request)
    return request


async def test_two_connections_taking_the_last_one_get_one_success(
    db: Database, db_url: str
) -> None:
    async with db.session() as session, session.begin():
        await StockRepo(session).add("irk_malysh", "cot", 1)
    other = Database(db_url)

    async def take(database: Database) -> bool:
        async with database.session() as session, session.begin():
            return await StockRepo(session).move("irk_malysh", "cot", "free", "lent")

    try:
        results = await asyncio.gather(*(take(d) for d in (db, other, db, other)))
    finally:
        await other.dispose()
    assert sorted(results) == [False, False, False, True]
    async with db.session() as session:
        row = (await StockRepo(session).of_point("irk_malysh"))["cot"]
    assert (row.free, row.lent) == (0, 1)


async def test_came_back_by_hand_never_takes_back_a_loan_the_bot_tracks(db: Database) -> None:
    point = POINTS.get("irk_malysh")
    assert point is not None
    request = await _family_request(db, "irk_malysh", "pram")
    async with db.session() as session, session.begin():
        staff = Person(telegram_id=1)
        session.add(staff)
        await session.flush()
        await pts.record(session, point, "pram", Change.ADD, staff, count=2)
        loaded = await session.get(HelpRequest, request.id)
        assert loaded is not None
        await pts.hand_over(
            session, POINTS, loaded, staff, date.today() + timedelta(days=30), "Asia/Irkutsk"
        )
        assert not await pts.record(session, point, "pram", Change.RETURN, staff)
        assert await pts.record(session, point, "pram", Change.LEND, staff)  # a walk-in family
        assert await pts.record(session, point, "pram", Change.RETURN, staff)
        assert not await pts.record(session, point, "pram", Change.RETURN, staff)
        found = (await pts.counts(session, point))["pram"]
    assert (found.free, found.lent) == (1, 1)


async def test_figures_count_loans_the_waiting_list_and_the_average_stay(db: Database) -> None:
    flat = POINTS.get("irk_crisis_flat")
    assert flat is not None
    waiting = await _family_request(db, "irk_malysh", "pram")
    async with db.session() as session, session.begin():
        now = utcnow()
        for days in (10, 20):
            session.add(
                Loan(
                    point_key=flat.key, item_key="mother_child", status=LoanStatus.RETURNED,
                    started_at=now - timedelta(days=days + 1), ended_at=now - timedelta(days=1),
                )
            )  # fmt: skip
        closed = await session.get(HelpRequest, waiting.id)
        assert closed is not None and closed.status is RequestStatus.NEW
        figures = {f.point.key: f for f in await pts.figures(session, POINTS)}
    assert figures["irk_malysh"].waiting == 1
    assert figures["irk_crisis_flat"].average_stay_days == pytest.approx(15.0)
    assert figures["irk_crisis_flat"].waiting == 0
