"""The figures of /stats on a seeded database with answers worked out by hand: counts by
category and priority, median and p90, SLA breaches, outcomes and the indicator, ratings,
check-in answers, subscribers and reach — each limited to the regions a person may see —
and exports that carry no personal data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.services import exports, stats
from bot.services.exports import Sheet
from db.models import (
    AuditLog,
    Broadcast,
    BroadcastDelivery,
    CheckInAnswer,
    ChildStatus,
    DeliveryStatus,
    FollowUp,
    HelpKind,
    HelpRequest,
    Outcome,
    Person,
    Priority,
    RequestStatus,
    Role,
    WorkStatus,
)
from db.repositories.figures import Scope
from db.session import Database

NOW = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)  # Monday 10:00 in Irkutsk
TZ = "Asia/Irkutsk"
H, D = timedelta(hours=1), timedelta(days=1)
SECRET_STORY, SECRET_PHONE = "Муж пьёт, денег нет", "+79991234567"


def _request(
    person: Person,
    region: str,
    kind: HelpKind,
    priority: Priority,
    created: datetime,
    first: timedelta | None,
    sla: timedelta,
    closed: datetime | None = None,
    outcome: Outcome | None = None,
    child: ChildStatus | None = None,
    rating: int | None = None,
) -> HelpRequest:
    return HelpRequest(
        person_id=person.id, region=region, queue_key=f"{region[:3]}_family", help_kind=kind,
        priority=priority, summary=SECRET_STORY, created_at=created,
        first_response_at=created + first if first else None, sla_due_at=created + sla,
        status=RequestStatus.CLOSED if closed else RequestStatus.NEW, closed_at=closed,
        outcome=outcome, child_status=child, rating=rating,
    )  # fmt: skip


@pytest.fixture
async def seeded(db: Database) -> Database:
    async with db.session() as s, s.begin():
        irk = Person(telegram_id=1, region="irkutsk", news_subscribed=True, phone=SECRET_PHONE)
        gone = Person(telegram_id=2, region="irkutsk", news_subscribed=True, is_active=False)
        alt = Person(telegram_id=3, region="altai_krai", news_subscribed=True)
        s.add_all([irk, gone, alt])
        await s.flush()
        L, M, P = HelpKind.LEGAL, HelpKind.MATERIAL, HelpKind.PSYCHOLOGICAL
        N, HI, U = Priority.NORMAL, Priority.HIGH, Priority.URGENT
        rs = [
            _request(irk, "irkutsk", L, N, NOW - 10 * D, 1 * H, 8 * H, NOW - 5 * D,
                     Outcome.HELPED, ChildStatus.AT_HOME, 5),
            _request(irk, "irkutsk", L, HI, NOW - 9 * D, 3 * H, 2 * H, NOW - 6 * D,
                     Outcome.REFERRED, ChildStatus.AT_HOME, 4),
            _request(irk, "irkutsk", M, U, NOW - 8 * D, H / 2, 1 * H, NOW - 7 * D,
                     Outcome.HELPED, ChildStatus.TEMPORARILY_PLACED, 3),
            _request(irk, "irkutsk", P, N, NOW - 2 * D, None, 1 * D),  # unanswered: a breach
            _request(irk, "irkutsk", L, N, NOW - 40 * D, 2 * H, 8 * H),  # before the period
            _request(alt, "altai_krai", L, N, NOW - 5 * D, 10 * H, 8 * H, NOW - 1 * D,
                     Outcome.NO_CONTACT, ChildStatus.UNKNOWN, 1),
        ]  # fmt: skip
        s.add_all(rs)
        await s.flush()
        for request, answer, at in [
            (rs[0], CheckInAnswer.BETTER, NOW - 2 * D),
            (rs[1], CheckInAnswer.SAME, NOW - 2 * D),
            (rs[2], CheckInAnswer.WORSE, NOW - 50 * D),  # before the period
            (rs[5], CheckInAnswer.WORSE, NOW - 1 * D),
        ]:
            s.add(FollowUp(request_id=request.id, person_id=request.person_id, due_at=at,
                           status=WorkStatus.DONE, answer=answer, answered_at=at))  # fmt: skip
        news = Broadcast(text="Новости")
        s.add(news)
        await s.flush()
        for who, status in [(irk, DeliveryStatus.SENT), (alt, DeliveryStatus.SENT),
                            (gone, DeliveryStatus.BLOCKED)]:  # fmt: skip
            s.add(BroadcastDelivery(broadcast_id=news.id, person_id=who.id, status=status,
                                    sent_at=NOW - 3 * D))  # fmt: skip
    return db


def _scope(regions: frozenset[str] | None, queue: str | None = None) -> Scope:
    start, end = stats.last_days(30, NOW, TZ)
    return Scope(start, end, regions, queue)


async def test_a_regional_coordinator_sees_the_figures_of_their_region(seeded: Database) -> None:
    async with seeded.session() as s:
        f = await stats.figures(s, _scope(frozenset({"irkutsk"})), NOW)
    assert f.by_category == {HelpKind.PSYCHOLOGICAL: 1, HelpKind.LEGAL: 2, HelpKind.MATERIAL: 1}
    assert f.by_priority == {Priority.URGENT: 1, Priority.HIGH: 1, Priority.NORMAL: 2}
    assert f.new == 4
    # First answers of 30 min, 1 h and 3 h: the median is 1 h; p90 lies 80 % of the way
    # from 1 h to 3 h.
    assert f.first_response == stats.Durations(3, 1 * H, timedelta(seconds=9360))
    assert f.answered_in_time == 2
    assert (f.sla_due, f.sla_breaches) == (4, 2)  # one late, one never answered
    # Closed after 1, 3 and 5 days.
    assert f.to_close == stats.Durations(3, 3 * D, timedelta(days=4.6))
    assert f.outcomes == {Outcome.HELPED: 2, Outcome.REFERRED: 1}
    assert f.child == {ChildStatus.AT_HOME: 2, ChildStatus.TEMPORARILY_PLACED: 1}
    assert f.at_home_share == pytest.approx(2 / 3)
    assert f.ratings == {3: 1, 4: 1, 5: 1} and f.rating_average == 4
    assert f.checkins == {CheckInAnswer.BETTER: 1, CheckInAnswer.SAME: 1}
    assert f.subscribers == 1  # the one who blocked the bot is not counted
    assert f.reach == stats.Reach(broadcasts=1, messages=1, people=1)


async def test_all_regions_add_up_and_a_queue_narrows(seeded: Database) -> None:
    async with seeded.session() as s:
        every = await stats.figures(s, _scope(None), NOW)
        altai = await stats.figures(s, _scope(None, "alt_family"), NOW)
    assert every.new == 5 and every.by_category[HelpKind.LEGAL] == 3
    assert (every.sla_due, every.sla_breaches) == (5, 3)
    assert every.outcomes[Outcome.NO_CONTACT] == 1
    assert every.at_home_share == pytest.approx(2 / 3)  # "unknown" is not a denominator
    assert every.checkins[CheckInAnswer.WORSE] == 1
    assert every.subscribers == 2
    assert every.reach == stats.Reach(broadcasts=1, messages=2, people=2)
    assert altai.new == 1 and altai.first_response.median == 10 * H


async def test_weeks_are_counted_on_the_local_clock(seeded: Database) -> None:
    async with seeded.session() as s:
        weeks = await stats.weekly(s, _scope(None), TZ)
    assert [w.monday.isoformat() for w in weeks] == [
        "2027-02-08", "2027-02-15", "2027-02-22", "2027-03-01", "2027-03-08", "2027-03-15",
    ]  # fmt: skip
    assert [w.total for w in weeks] == [0, 0, 0, 3, 2, 0]  # Fri, Sat, Sun; Wed, Sat


def test_who_may_see_what() -> None:
    coordinator = Person(role=Role.COORDINATOR, stats_region="irkutsk")
    assert stats.visible_regions(coordinator) == frozenset({"irkutsk"})
    assert stats.visible_regions(Person(role=Role.COORDINATOR)) is None
    assert stats.visible_regions(Person(role=Role.ADMIN, stats_region="irkutsk")) is None
    with pytest.raises(stats.NotAllowed):
        stats.narrow(coordinator, "altai_krai")
    for role in (Role.SPECIALIST, Role.PARENT):
        with pytest.raises(stats.NotAllowed):
            stats.visible_regions(Person(role=role))


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("1.11.2026", "format"), ("31.02.2027–01.03.2027", "format"),
     ("10.03.2027–01.03.2027", "order"), ("01.04.2027–30.04.2027", "future"),
     ("01.01.2020–01.01.2027", "long")],
)  # fmt: skip
def test_a_typed_range_that_is_no_period_is_refused(typed: str, reason: str) -> None:
    with pytest.raises(stats.BadPeriod) as refused:
        stats.parse_range(typed, NOW, TZ)
    assert refused.value.reason == reason


def test_a_typed_range_covers_whole_local_days() -> None:
    start, end = stats.parse_range(" 01.02.2027 - 28.02.2027 ", NOW, TZ)
    assert start == datetime(2027, 1, 31, 16, 0, tzinfo=UTC)  # midnight in Irkutsk
    assert end == datetime(2027, 2, 28, 16, 0, tzinfo=UTC)
    assert stats.this_month(NOW, TZ)[0] == datetime(2027, 2, 28, 16, 0, tzinfo=UTC)


SHEET = Sheet(headers=tuple("abcdefghijklm"), label=lambda e: f"<{e.value}>", tz=TZ)


async def test_exports_are_pseudonymous_and_in_local_time(seeded: Database) -> None:
    async with seeded.session() as s:
        scope = _scope(frozenset({"irkutsk"}))
        as_csv = await exports.requests_csv(s, scope, SHEET)
        as_xlsx = await exports.requests_xlsx(s, scope, SHEET)
    text = as_csv.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert as_csv.rows == as_xlsx.rows == 4 and len(rows) == 5
    assert rows[1][1:6] == ["irkutsk", "irk_family", "<legal>", "<normal>", "<closed>"]
    assert rows[1][6] == "2027-03-05 10:00"  # created, on the Irkutsk clock
    book = load_workbook(io.BytesIO(as_xlsx.data), read_only=True)
    cells = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert cells[1][6] == datetime(2027, 3, 5, 10, 0)
    assert [r[0] for r in cells[1:]] == [int(r[0]) for r in rows[1:]]
    everything = text + repr(cells)
    for secret in (SECRET_STORY, SECRET_PHONE, "altai"):
        assert secret not in everything


async def test_every_export_is_written_to_the_audit_log(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        lead = Person(telegram_id=9, role=Role.ADMIN)
        s.add(lead)
        await s.flush()
        scope = _scope(None)
        exports.record(s, lead, "requests.csv", scope.start, scope.end, 5, scope)
    async with seeded.session() as s:
        log = await exports.audit_csv(s, NOW - 365 * D, NOW + D, TZ, tuple("abcdefg"))
        [line] = (await s.scalars(select(AuditLog))).all()
    assert log.rows == 1 and "export.requests.csv" in log.data.decode("utf-8-sig")
    assert line.details["rows"] == 5 and line.details["regions"] == "all"
