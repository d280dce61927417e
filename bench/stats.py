"""Benchmark: the figures of /stats and a year's XLSX export on a big database.

    .venv/bin/python bench/stats.py [--requests 100000] [--years 2]

A fresh SQLite database (migrated to head) with --requests requests spread evenly over
--years years across four regions and their queues, with first answers, closes, outcomes,
ratings and check-in answers, seeded with executemany in Core. Printed:

- `/stats` for the last 90 days, every region (the service call the screen makes: all its
  figures), and for one region;
- the weekly counts behind the first chart, 90 days;
- an XLSX export of the last full year, with the peak memory it allocated (tracemalloc, in a
  second run, since tracing slows Python down) and the process's peak RSS.

Goals (the statistics issue): /stats for 90 days under 1 s. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services import exports, stats  # noqa: E402
from bot.services.exports import Sheet  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import (  # noqa: E402
    CheckInAnswer,
    ChildStatus,
    FollowUp,
    HelpKind,
    HelpRequest,
    Outcome,
    Person,
    Priority,
    RequestStatus,
    WorkStatus,
)
from db.repositories.figures import Scope  # noqa: E402
from db.session import Database  # noqa: E402

NOW = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)
TZ = "Asia/Irkutsk"
REGIONS = {"irkutsk": "irk_family", "altai_krai": "alt_family", "novosibirsk": "nsk_family",
           "primorsky": "prim_family"}  # fmt: skip
CHUNK = 10_000


def _rows(count: int, years: int, families: list[int]) -> list[dict[str, object]]:
    rng = random.Random(19)
    span = timedelta(days=365 * years).total_seconds()
    kinds, priorities = list(HelpKind), list(Priority)
    rows = []
    for n in range(count):
        created = NOW - timedelta(seconds=span * (count - n) / count)
        region = list(REGIONS)[n % len(REGIONS)]
        answered = created + timedelta(minutes=rng.expovariate(1 / 240))
        closed = created + timedelta(days=rng.uniform(1, 20))
        done = closed < NOW and n % 5 != 0
        rows.append(
            {
                "person_id": families[n % len(families)], "region": region,
                "queue_key": REGIONS[region], "help_kind": rng.choice(kinds),
                "priority": rng.choice(priorities), "created_at": created,
                "sla_due_at": created + timedelta(hours=8),
                "first_response_at": answered if answered < NOW else None,
                "status": RequestStatus.CLOSED if done else RequestStatus.IN_PROGRESS,
                "closed_at": closed if done else None,
                "outcome": rng.choice(list(Outcome)) if done else None,
                "child_status": rng.choice(list(ChildStatus)) if done else None,
                "rating": rng.randint(1, 5) if done and n % 3 else None,
                "summary": "—", "triage": [], "red_flags": [], "contact_method": "chat",
                "urgency": "normal", "reopened_count": 0,
            }
        )  # fmt: skip
    return rows


async def seed(db: Database, count: int, years: int) -> float:
    started = time.perf_counter()
    async with db.engine.begin() as conn:
        result = await conn.execute(
            insert(Person).returning(Person.id),
            [{"telegram_id": 10_000 + i, "region": list(REGIONS)[i % 4], "role": "parent",
              "news_subscribed": i % 2 == 0, "children_ages": [], "is_active": True,
              "discreet": False, "checkins_paused": False, "stats_digest": True,
              "created_at": NOW, "updated_at": NOW} for i in range(2000)],
        )  # fmt: skip
        families = [r[0] for r in result.all()]
        rows = _rows(count, years, families)
        for start in range(0, count, CHUNK):
            await conn.execute(insert(HelpRequest), rows[start : start + CHUNK])
        answers = list(CheckInAnswer)
        checkins = [
            {"request_id": i + 1, "person_id": families[i % len(families)], "step": 0,
             "due_at": NOW, "status": WorkStatus.DONE, "answer": answers[i % 3],
             "answered_at": rows[i]["closed_at"], "created_at": NOW}
            for i in range(0, count, 4) if rows[i]["closed_at"] is not None
        ]  # fmt: skip
        for start in range(0, len(checkins), CHUNK):
            await conn.execute(insert(FollowUp), checkins[start : start + CHUNK])
    return time.perf_counter() - started


async def timed(label: str, make: object, repeat: int = 3) -> object:
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = await make()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    print(f"{label:<42} {best * 1000:8.0f} ms (best of {repeat})")
    return value


async def run(count: int, years: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            print(f"seeded {count:,} requests over {years} years in "
                  f"{await seed(db, count, years):.1f} s")  # fmt: skip
            start, end = stats.last_days(90, NOW, TZ)
            every, one = Scope(start, end, None), Scope(start, end, frozenset({"irkutsk"}))
            async with db.session() as s:
                f = await timed(
                    "/stats, 90 days, every region", lambda: stats.figures(s, every, NOW)
                )
                await timed("/stats, 90 days, one region", lambda: stats.figures(s, one, NOW))
                await timed("weekly chart data, 90 days", lambda: stats.weekly(s, every, TZ))
            print(f"  (90 days: {f.new:,} requests, {f.closed:,} closed)")  # type: ignore[attr-defined]
            year = Scope(NOW - timedelta(days=365), NOW, None)
            sheet = Sheet(tuple("abcdefghijklm"), lambda e: e.value, TZ)
            async with db.session() as s:
                made = await timed(
                    "XLSX export, a full year", lambda: exports.requests_xlsx(s, year, sheet), 1
                )
            print(f"  ({made.rows:,} rows, {len(made.data) / 1e6:.1f} MB)")  # type: ignore[attr-defined]
            tracemalloc.start()
            async with db.session() as s:
                await exports.requests_xlsx(s, year, sheet)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"XLSX export peak allocated (tracemalloc)   {peak / 1e6:8.1f} MB")
            print(f"process peak RSS                           {rss:8.1f} MB")
        finally:
            await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.years))


if __name__ == "__main__":
    main()
