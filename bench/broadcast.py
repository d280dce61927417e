"""Benchmark: a broadcast to many families, at the default pace and with pacing lifted.

    .venv/bin/python bench/broadcast.py [--recipients 10000] [--rate 25] [--fast-only]

The Bot API emulator runs in this process (its rate-limit model on at the default pace);
the bot's sender (`bot/broadcaster.py`) runs in a process of its own, as in production, on
a fresh SQLite database with --recipients subscribers and one broadcast to all of them.

* paced — BROADCAST_RATE=--rate (25 by default) and the bot's SEND_RATE_LIMIT default (28):
  printed is the achieved rate (messages recorded by the emulator / time from the first to
  the last) as a share of the configured one (goal ≥ 0.95), and 429s (goal 0);
* lifted — BROADCAST_RATE=0 and SEND_RATE_LIMIT=0 (as for paid broadcasts), the emulator's
  rate-limit model off: the messages per second the sender itself pushes (goal ≥ 1,000/s).

Both print the sender process's memory (max RSS) before the broadcast and at its peak.
Exit status non-zero if a family got no copy or two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import create_bot  # noqa: E402
from bot.broadcaster import Broadcaster  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.i18n import create_i18n  # noqa: E402
from bot.services import broadcasts  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Person, Role  # noqa: E402
from db.session import Database  # noqa: E402
from sandbox import Emulator  # noqa: E402

TEXT = "В Иркутске открылся пункт проката «Мой малыш»"


async def child(args: argparse.Namespace) -> None:
    """The bot's side: subscribers, one broadcast to all, the sender until it is done."""
    await asyncio.to_thread(upgrade, args.db)
    settings = load_settings(
        database_url=args.db, telegram_api_url=args.api, bot_token=args.token,
        broadcast_rate=args.rate, send_rate_limit=28 if args.rate else 0,
    )  # fmt: skip
    db = Database(args.db)
    bot = create_bot(settings)
    ids = json.loads(await asyncio.to_thread(Path(args.users).read_text))
    try:
        async with db.session() as session, session.begin():
            await session.execute(
                insert(Person),
                [{"telegram_id": uid, "locale": "ru", "consent_version": "x",
                  "news_subscribed": True} for uid in ids],
            )  # fmt: skip
            author = Person(telegram_id=1, role=Role.COORDINATOR)
            session.add(author)
            await session.flush()
            broadcast = await broadcasts.create(session, author, {"text": TEXT})
            await broadcasts.start(session, broadcast, author)
        sender = Broadcaster(bot, db, create_i18n("ru"), settings)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        await sender.tick()
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"took": took, "peak": peak, "before": before}))
    finally:
        await bot.session.close()
        await db.dispose()


async def run(recipients: int, rate: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with Emulator(rate_limit=bool(rate)) as emu:
            token = emu.add_bot(username="semya_bench_bot")
            users = [emu.add_user(language_code="ru") for _ in range(recipients)]
            path = Path(tmp) / "users.json"
            path.write_text(json.dumps([u.id for u in users]))
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--child", "--db", f"sqlite+aiosqlite:///{tmp}/b.db",
                "--api", emu.api_url, "--token", token, "--users", str(path),
                "--rate", str(rate),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            out, _ = await proc.communicate()
            result = json.loads(out.decode().strip().splitlines()[-1])
            calls = [c for c in emu.calls("sendMessage") if c.ok]
            span = (calls[-1].time - calls[0].time) if len(calls) > 1 else 0.0
            copies = [sum(1 for m in u.history if TEXT in (m.text or "")) for u in users]
            return {
                "sent": len(calls),
                "span": span,
                "rate": (len(calls) - 1) / span if span else 0.0,
                "limited": len([c for c in emu.calls("sendMessage") if c.status == 429]),
                "violations": len(emu.violations),
                "wrong": sum(1 for c in copies if c != 1),
                **result,
            }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--fast-only", action="store_true", help="skip the paced phase")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--users", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        await child(args)
        return 0
    phases = [("lifted", 0.0)] if args.fast_only else [("paced", args.rate), ("lifted", 0.0)]
    print(f"{'phase':>7} {'sent':>6} {'s':>7} {'msg/s':>8} {'of limit':>9} "
          f"{'429s':>5} {'wrong':>6} {'RSS MiB before → peak':>22}")  # fmt: skip
    failed = False
    for name, rate in phases:
        r = await run(args.recipients, rate)
        share = f"{r['rate'] / rate:.3f}" if rate else "—"
        print(f"{name:>7} {r['sent']:>6} {r['span']:>7.1f} {r['rate']:>8.1f} {share:>9} "
              f"{r['limited']:>5} {r['wrong']:>6} "
              f"{r['before']:>12.1f} → {r['peak']:>7.1f}")  # fmt: skip
        failed |= bool(r["wrong"] or r["violations"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
