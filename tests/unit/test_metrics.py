"""/metrics: the figures read from the database at scrape time, on a seeded database with
known answers; labels that never carry a person's data; a scrape cache; a database down."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops.health import Health
from bot.ops.metrics import Metrics
from db.base import set_clock
from db.models import (
    Broadcast,
    BroadcastDelivery,
    BroadcastStatus,
    DeliveryStatus,
    DueWork,
    HelpKind,
    HelpRequest,
    Person,
    Priority,
    RequestStatus,
    WorkKind,
    WorkStatus,
)
from db.session import Database
from tests.helpers import until

NOW = datetime(2027, 5, 4, 12, 0, tzinfo=UTC)
SECRET_TEXT = "Муж бьёт, ночевать негде"
SECRET_PLACE = "Шелехов"
TELEGRAM_IDS = [700_000_000 + n for n in range(12)]

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    set_clock(lambda: NOW)
    yield
    set_clock(None)


def _samples(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def _sqlite_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]


def _work(kind: WorkKind, due: timedelta, status: WorkStatus = WorkStatus.PENDING) -> DueWork:
    return DueWork(kind=kind, target_id=1, due_at=NOW + due, status=status)


def _request(person: Person, queue: str | None, priority: Priority, status: RequestStatus):
    return HelpRequest(
        person_id=person.id, queue_key=queue, help_kind=HelpKind.OTHER, priority=priority,
        status=status, summary=SECRET_TEXT,
    )  # fmt: skip


async def _seed(db: Database) -> None:
    async with db.session() as session, session.begin():
        people = [Person(telegram_id=t, district=SECRET_PLACE) for t in TELEGRAM_IDS]
        session.add_all(people)
        session.add_all(
            [
                _work(WorkKind.ROUTE, -timedelta(hours=2)),  # overdue
                _work(WorkKind.ROUTE, -timedelta(seconds=10)),  # due, not yet late
                _work(WorkKind.ROUTE, timedelta(hours=1)),
                _work(WorkKind.CHECKIN, -timedelta(minutes=3), WorkStatus.WORKING),
                _work(WorkKind.CHECKIN, -timedelta(days=1), WorkStatus.DONE),
                _work(WorkKind.SLA_REMIND, -timedelta(days=1), WorkStatus.CANCELLED),
            ]
        )
        sending = Broadcast(text=SECRET_TEXT, status=BroadcastStatus.SENDING, total=10, sent=4,
                            failed=1)  # fmt: skip
        finished = Broadcast(text="old", status=BroadcastStatus.DONE, total=5, sent=5)
        session.add_all([sending, finished])
        await session.flush()
        statuses = [DeliveryStatus.PENDING] * 3 + [DeliveryStatus.WORKING] * 2
        statuses += [DeliveryStatus.SENT] * 4 + [DeliveryStatus.BLOCKED]
        session.add_all(
            BroadcastDelivery(broadcast_id=sending.id, person_id=p.id, status=s)
            for p, s in zip(people, statuses, strict=False)
        )
        session.add_all(
            BroadcastDelivery(broadcast_id=finished.id, person_id=p.id, status=DeliveryStatus.SENT)
            for p in people[:5]
        )
        a, b, c, d, e = people[:5]
        session.add_all(
            [
                _request(a, "irk_crisis", Priority.URGENT, RequestStatus.NEW),
                _request(b, "irk_crisis", Priority.URGENT, RequestStatus.NEW),
                _request(c, "irk_crisis", Priority.NORMAL, RequestStatus.IN_PROGRESS),
                _request(d, "irk_rental", Priority.HIGH, RequestStatus.NEW),
                _request(e, None, Priority.NORMAL, RequestStatus.NEW),
                _request(a, "irk_crisis", Priority.URGENT, RequestStatus.CLOSED),
                _request(b, "irk_crisis", Priority.HIGH, RequestStatus.CANCELLED),
            ]
        )


async def test_the_database_figures_match_a_seeded_database(db: Database) -> None:
    await _seed(db)
    samples = _samples((await Metrics(db).render()).decode())

    assert _value(samples, "bot_database_up") == 1
    assert _value(samples, "bot_due_work_items", kind="route", status="pending") == 3
    assert _value(samples, "bot_due_work_items", kind="checkin", status="working") == 1
    assert _value(samples, "bot_due_work_items", kind="checkin", status="pending") == 0
    assert _value(samples, "bot_due_work_items", kind="sla_remind", status="pending") == 0
    assert _value(samples, "bot_due_work_overdue_items", kind="route") == 1
    assert _value(samples, "bot_due_work_overdue_items", kind="checkin") == 0  # working
    assert _value(samples, "bot_due_work_lag_seconds", kind="route") == 7200
    assert _value(samples, "bot_due_work_lag_seconds", kind="checkin") == 0

    assert _value(samples, "bot_broadcasts_sending") == 1
    assert _value(samples, "bot_broadcast_recipients", state="total") == 10
    assert _value(samples, "bot_broadcast_recipients", state="sent") == 4
    assert _value(samples, "bot_broadcast_recipients", state="failed") == 1
    assert _value(samples, "bot_broadcast_deliveries", status="pending") == 3
    assert _value(samples, "bot_broadcast_deliveries", status="working") == 2

    requests = {k: v for k, v in samples.items() if k[0] == "bot_open_requests"}
    assert requests == {
        ("bot_open_requests", (("priority", "urgent"), ("queue", "irk_crisis"),
                               ("status", "new"))): 2,
        ("bot_open_requests", (("priority", "normal"), ("queue", "irk_crisis"),
                               ("status", "in_progress"))): 1,
        ("bot_open_requests", (("priority", "high"), ("queue", "irk_rental"),
                               ("status", "new"))): 1,
        ("bot_open_requests", (("priority", "normal"), ("queue", "unrouted"),
                               ("status", "new"))): 1,
    }  # fmt: skip


async def test_no_label_carries_a_persons_data(db: Database) -> None:
    await _seed(db)
    text = (await Metrics(db).render()).decode()
    assert SECRET_TEXT not in text and SECRET_PLACE not in text
    assert not any(str(t) in text for t in TELEGRAM_IDS)
    allowed = {
        "kind": {str(k) for k in WorkKind},
        "status": {str(s) for s in (*WorkStatus, *DeliveryStatus, *RequestStatus)},
        "priority": {str(p) for p in Priority},
        "queue": {"irk_crisis", "irk_rental", "unrouted"},
        "state": {"total", "sent", "failed"},
    }
    for _, labels in _samples(text):
        for name, value in labels:
            assert value in allowed[name], (name, value)


async def test_a_scrape_is_cached_for_a_few_seconds(db: Database) -> None:
    await _seed(db)
    metrics = Metrics(db, ttl=60)
    first = _samples((await metrics.render()).decode())
    async with db.session() as session, session.begin():
        session.add(_work(WorkKind.ROUTE, -timedelta(hours=3)))
    cached = _samples((await metrics.render()).decode())
    assert _value(cached, "bot_due_work_items", kind="route", status="pending") == 3
    assert cached == first
    fresh = _samples((await Metrics(db, ttl=0).render()).decode())
    assert _value(fresh, "bot_due_work_items", kind="route", status="pending") == 4


async def test_a_database_that_cannot_be_opened_reports_down(tmp_path: Path) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path}")  # a directory, not a database file
    try:
        samples = _samples((await Metrics(broken).render()).decode())
        report = await Health(broken, timeout=1).report()
    finally:
        await broken.dispose()
        # aiosqlite's worker thread of a failed connect still reports to this loop.
        await until(lambda: not _sqlite_threads(), what="the failed connections' threads")
    assert _value(samples, "bot_database_up") == 0
    assert not any(name.startswith("bot_due_work") for name, _ in samples)
    assert report.status_code == 503
    assert report.body["status"] == "degraded"
    assert report.body["database"].startswith("error: ")
    assert report.body["redis"] == "not configured"


async def test_redis_set_without_its_client_is_degraded_not_down(db: Database) -> None:
    report = await Health(db, redis_url="redis://127.0.0.1:1/0", timeout=1).report()
    assert report.status_code == 200
    assert report.body["database"] == "ok"
    assert report.body["status"] == "degraded"
    assert report.body["redis"].startswith("error: ")
