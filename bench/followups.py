"""Benchmark: one tick of the durable work queue with many check-ins pending, a few due.

    .venv/bin/python bench/followups.py [--pending 10000 100000] [--due 1000]

For each size of --pending: a fresh SQLite database (migrated to head), --due families who
had help (one closed request each) and a check-in due now for each of them, plus
pending − due check-ins due next month. Then, in this process: the Bot API emulator
(rate-limit model off, as for the bot's own paced sends with SEND_RATE_LIMIT=0) and the
bot's WorkRunner with the check-in handlers. One `tick()` claims every due item and sends the
check-ins; printed: its wall time, the sends the emulator recorded, and the peak memory the
tick allocated (tracemalloc, in a second run on a fresh copy, since tracing slows Python
down) — the goal is flat as pending grows: a tick loads what is due, in batches, never the
pending backlog.

Goals (the follow-ups issue): a tick under 5 s for 1,000 due; memory flat from 10,000 to
100,000 pending. Exit status non-zero if a check-in was not sent once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import create_bot  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.followups import FollowUpWork  # noqa: E402
from bot.i18n import create_i18n  # noqa: E402
from bot.services.checkins import load_checkins  # noqa: E402
from bot.work import WorkRunner  # noqa: E402
from db.base import set_clock, utcnow  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import (  # noqa: E402
    DueWork,
    FollowUp,
    HelpKind,
    HelpRequest,
    Outcome,
    Person,
    RequestStatus,
    WorkKind,
)
from db.session import Database  # noqa: E402
from sandbox import Emulator  # noqa: E402

CHUNK = 5000
MONDAY_10_IRKUTSK = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)  # no quiet hours in the way


async def seed(db: Database, user_ids: list[int], pending: int) -> None:
    """A family (with one closed request) per user, each with a check-in due now; the rest
    of `pending` due in a month."""
    now, due = utcnow(), len(user_ids)
    async with db.session() as session, session.begin():
        await session.execute(
            insert(Person),
            [
                {"telegram_id": uid, "locale": "ru", "consent_version": "x",
                 "region": "irkutsk", "timezone": "Asia/Irkutsk"}
                for uid in user_ids
            ],
        )  # fmt: skip
        await session.execute(
            insert(HelpRequest),
            [
                {"person_id": n + 1, "help_kind": HelpKind.LEGAL, "status": RequestStatus.CLOSED,
                 "outcome": Outcome.HELPED, "closed_at": now}
                for n in range(due)
            ],
        )  # fmt: skip
    for start in range(0, pending, CHUNK):
        rows = range(start, min(pending, start + CHUNK))
        async with db.session() as session, session.begin():
            await session.execute(
                insert(FollowUp),
                [
                    {"request_id": n % due + 1, "person_id": n % due + 1,
                     "due_at": now if n < due else now + timedelta(days=30)}
                    for n in rows
                ],
            )  # fmt: skip
            await session.execute(
                insert(DueWork),
                [
                    {"kind": WorkKind.CHECKIN, "target_id": n + 1, "person_id": n % due + 1,
                     "due_at": now if n < due else now + timedelta(days=30), "payload": {}}
                    for n in rows
                ],
            )  # fmt: skip


async def child(args: argparse.Namespace) -> None:
    """The bot's side, in a process of its own (as in production): seed, then one tick."""
    set_clock(lambda: MONDAY_10_IRKUTSK)
    await asyncio.to_thread(upgrade, args.db)
    settings = load_settings(
        database_url=args.db, telegram_api_url=args.api, bot_token=args.token, send_rate_limit=0
    )
    db = Database(args.db)
    bot = create_bot(settings)
    try:
        users = json.loads(await asyncio.to_thread(Path(args.users).read_text))
        await seed(db, users, args.pending)
        work = FollowUpWork(bot, db, create_i18n("ru"), settings, load_checkins())
        runner = WorkRunner(db, work.handlers(), work.batch_handlers())
        if args.traced:
            tracemalloc.start()
        started = time.perf_counter()
        done = await runner.tick()
        took = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] if args.traced else 0
        print(json.dumps({"took": took, "done": done, "peak": peak}))
    finally:
        await bot.session.close()
        await db.dispose()


async def one_size(pending: int, due: int, *, traced: bool) -> tuple[float, int, int, float]:
    """One tick over a fresh database; with `traced`, under tracemalloc (which slows Python
    down several times, so the time is taken from an untraced run)."""
    with tempfile.TemporaryDirectory() as tmp:
        async with Emulator(rate_limit=False) as emu:
            token = emu.add_bot(username="semya_bench_bot")
            users = Path(tmp) / "users.json"
            users.write_text(json.dumps([emu.add_user(language_code="ru").id for _ in range(due)]))
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--child", "--db", f"sqlite+aiosqlite:///{tmp}/b.db",
                "--api", emu.api_url, "--token", token, "--users", str(users),
                "--pending", str(pending), *(["--traced"] if traced else []),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            out, _ = await proc.communicate()
            result = json.loads(out.decode().strip().splitlines()[-1])
            sends = len([c for c in emu.calls("sendMessage") if c.ok])
    return result["took"], result["done"], sends, result["peak"] / 2**20


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pending", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--users", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.pending = args.pending[0]
        await child(args)
        return 0
    print(f"{'pending':>8} {'due':>6} {'tick, s':>8} {'items':>6} {'sent':>6} {'peak MiB':>9}")
    failed = False
    for pending in args.pending:
        took, done, sends, _ = await one_size(pending, args.due, traced=False)
        _, _, _, peak = await one_size(pending, args.due, traced=True)
        print(f"{pending:>8} {args.due:>6} {took:>8.2f} {done:>6} {sends:>6} {peak:>9.1f}")
        failed |= sends != args.due or done != args.due
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
