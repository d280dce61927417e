"""Figures for whoever runs the bot, in the Prometheus format (served at /metrics).

What the process sees as it happens — updates and their latency, failures, Telegram's 429s —
is counted in place. What the database knows — due work, broadcasts, open requests — is read
at scrape time with a few grouped counts and kept for a few seconds, so a scraper that
hammers /metrics costs the database one small read per `SNAPSHOT_TTL`.

Labels are update types, queue keys, priorities, statuses, kinds of work, Bot API methods and
exception class names: bounded sets written in the code or content files. Never a chat id, a
name or a text.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from bot.middlewares.retry import retry_middleware_of
from db.base import utcnow
from db.models import WorkKind, WorkStatus
from db.repositories import OpsRepo
from db.repositories.ops import (
    IN_FLIGHT_DELIVERIES,
    BroadcastFigures,
    OpenRequests,
    WorkFigures,
)
from db.session import Database

if TYPE_CHECKING:
    from bot.runner import UpdateRunner

logger = logging.getLogger(__name__)

# Most updates take milliseconds; a reply paced behind Telegram's per-chat limit, or a wait
# for the one SQLite connection in a burst, takes seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SNAPSHOT_TTL = 5.0
QUERY_TIMEOUT = 2.0
# Ticks claim due work every 2 s: an item a minute late means the work is falling behind.
OVERDUE_GRACE = timedelta(minutes=1)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def update_type(event: TelegramObject) -> str:
    if not isinstance(event, Update):
        return "unknown"
    try:
        return event.event_type
    except UpdateTypeLookupError:  # a type newer than this aiogram knows
        return "unknown"


class Metrics:
    """The app's own registry (not prometheus_client's global one: tests run many apps in
    one process) and the figures in it."""

    def __init__(self, db: Database, *, ttl: float = SNAPSHOT_TTL) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "bot_updates",
            "Updates handled, by type and outcome (handled, unhandled, error)",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bot_update_duration_seconds",
            "Time from a worker taking an update to the end of its handling",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "bot_errors",
            "Failures that reached the error handler, by exception class",
            ["error"],
            registry=self.registry,
        )
        self.retry_after = Counter(
            "bot_telegram_retry_after",
            "429 Too Many Requests answers from the Bot API, by method",
            ["method"],
            registry=self.registry,
        )
        self.retry_after_seconds = Counter(
            "bot_telegram_retry_after_seconds",
            "Seconds Telegram asked the bot to wait in its 429 answers, by method",
            ["method"],
            registry=self.registry,
        )
        self.database = DatabaseFigures(db, ttl)
        self.runner = RunnerFigures()
        self.registry.register(self.database)
        self.registry.register(self.runner)

    def middleware(self) -> UpdateMetrics:
        return UpdateMetrics(self)

    def observe(self, kind: str, outcome: str, seconds: float) -> None:
        self.updates.labels(kind, outcome).inc()
        self.latency.labels(kind).observe(seconds)

    def note_error(self, exc: BaseException) -> None:
        self.errors.labels(type(exc).__name__).inc()

    def note_retry_after(self, method: str, seconds: float) -> None:
        self.retry_after.labels(method).inc()
        self.retry_after_seconds.labels(method).inc(seconds)

    def watch_bot(self, bot: Bot) -> None:
        """Count the 429s of this Bot's calls (its session's retry middleware sees them all)."""
        retry = retry_middleware_of(bot)
        if retry is not None:
            retry.on_retry_after = self.note_retry_after

    def watch_runner(self, runner: UpdateRunner) -> None:
        self.runner.runner = runner

    async def render(self) -> bytes:
        await self.database.refresh()
        return generate_latest(self.registry)


class UpdateMetrics(BaseMiddleware):
    """Outer middleware on `dp.update`, first of the app's: its time covers the session,
    the person, the handler and the commit — everything but the wait for a worker."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            self.metrics.observe(update_type(event), outcome, time.perf_counter() - started)


class RunnerFigures(Collector):
    """The update runner's queue, read at scrape time (nothing to count in place)."""

    def __init__(self) -> None:
        self.runner: UpdateRunner | None = None

    def collect(self) -> Iterator[Metric]:
        runner = self.runner
        if runner is None:
            return
        yield GaugeMetricFamily(
            "bot_updates_queued",
            "Updates stored and waiting for a worker",
            value=runner.queue.size,
        )
        yield GaugeMetricFamily(
            "bot_updates_in_flight", "Updates being handled now", value=runner.in_flight
        )
        if runner.last_received is not None:
            yield GaugeMetricFamily(
                "bot_last_update_received_timestamp_seconds",
                "When the last update arrived from Telegram (Unix time)",
                value=runner.last_received.timestamp(),
            )


class DatabaseFigures(Collector):
    """Counts the database knows, taken by `refresh` (async, before the registry is read)
    and yielded by `collect` (which prometheus_client calls synchronously)."""

    def __init__(
        self, db: Database, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.clock = clock
        self.families: list[Metric] = []
        self._taken_at = -math.inf
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:  # concurrent scrapes share one read
            if self.clock() - self._taken_at < self.ttl:
                return
            try:
                families = await asyncio.wait_for(self._read(), QUERY_TIMEOUT)
                up = 1
            except (SQLAlchemyError, OSError, TimeoutError) as exc:
                logger.warning("metrics: database figures unavailable (%s)", type(exc).__name__)
                families, up = [], 0
            up_family = GaugeMetricFamily(
                "bot_database_up",
                "1 if the last scrape's database read succeeded within its timeout",
                value=up,
            )
            self.families = [*families, up_family]
            self._taken_at = self.clock()

    def collect(self) -> Iterator[Metric]:
        yield from self.families

    async def _read(self) -> list[Metric]:
        now = utcnow()
        async with self.db.session() as session:
            repo = OpsRepo(session)
            work = await repo.due_work(now - OVERDUE_GRACE)
            casts = await repo.broadcasts()
            requests = await repo.open_requests()
        return [
            *_work_families(work, now),
            *_broadcast_families(casts),
            _requests_family(requests),
        ]


def _work_families(work: Iterable[WorkFigures], now: datetime) -> list[Metric]:
    items = GaugeMetricFamily(
        "bot_due_work_items",
        "Durable work items waiting (pending) or being done (working), by kind",
        labels=["kind", "status"],
    )
    overdue = GaugeMetricFamily(
        "bot_due_work_overdue_items",
        "Pending work items due more than a minute ago, by kind",
        labels=["kind"],
    )
    lag = GaugeMetricFamily(
        "bot_due_work_lag_seconds",
        "How long the oldest pending item of a kind has been due (0: none due yet)",
        labels=["kind"],
    )
    # Every kind appears, at 0 when idle, so that an alert sees a value rather than nothing.
    counts = {
        (str(k), str(s)): 0 for k in WorkKind for s in (WorkStatus.PENDING, WorkStatus.WORKING)
    }
    late = {str(k): 0 for k in WorkKind}
    lags = {str(k): 0.0 for k in WorkKind}
    for row in work:
        counts[(row.kind, row.status)] = row.items
        if row.status == WorkStatus.PENDING:
            late[row.kind] = row.overdue
            if row.oldest_due is not None:
                lags[row.kind] = max(0.0, (now - row.oldest_due).total_seconds())
    for (kind, status), value in counts.items():
        items.add_metric([kind, status], value)
    for kind in late:
        overdue.add_metric([kind], late[kind])
        lag.add_metric([kind], lags[kind])
    return [items, overdue, lag]


def _broadcast_families(casts: BroadcastFigures) -> list[Metric]:
    recipients = GaugeMetricFamily(
        "bot_broadcast_recipients",
        "Recipients of the broadcasts being sent now: total, sent, failed (blocked included)",
        labels=["state"],
    )
    recipients.add_metric(["total"], casts.recipients)
    recipients.add_metric(["sent"], casts.sent)
    recipients.add_metric(["failed"], casts.failed)
    deliveries = GaugeMetricFamily(
        "bot_broadcast_deliveries",
        "Broadcast deliveries still to send (pending) or being sent (working)",
        labels=["status"],
    )
    for status in IN_FLIGHT_DELIVERIES:
        deliveries.add_metric([str(status)], casts.deliveries.get(str(status), 0))
    sending = GaugeMetricFamily(
        "bot_broadcasts_sending", "Broadcasts being sent now", value=casts.sending
    )
    return [sending, recipients, deliveries]


def _requests_family(requests: Iterable[OpenRequests]) -> Metric:
    family = GaugeMetricFamily(
        "bot_open_requests",
        "Open help requests by queue, priority and status (new: nobody has taken it yet)",
        labels=["queue", "priority", "status"],
    )
    for row in requests:
        family.add_metric([row.queue, row.priority, row.status], row.count)
    return family
