"""Benchmark: several bot processes behind one webhook, on one PostgreSQL and one Redis.

    .venv/bin/python bench/cluster.py [--instances 3] [--people 1000] [--messages 5]

Starts a throwaway PostgreSQL and redis-server (tests/servers.py, Debian's packages), the
Bot API emulator in this process playing the balancing proxy (Emulator.balance_webhook),
and N real `python -m bot run` processes in webhook mode. Each person sends `/start`, then
`/sos` (the emergency contacts, answered at any step) — every message gets one reply — and
sends the next message when the reply to the last one has come (a person, not a flood):
people × messages updates in all. Sending is unpaced (SEND_RATE_LIMIT=0, as in
bench/updates.py): this measures the bots, not Telegram's limits.

Prints updates/s, reply latency p50/p95/p99, and the two figures that must be zero:
duplicates (a message answered twice) and lost (a message never answered).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.migrate import upgrade  # noqa: E402
from sandbox import Emulator  # noqa: E402
from sandbox.testing import TestUser  # noqa: E402
from tests.servers import PostgresServer, RedisServer, free_port  # noqa: E402

HOOK = "https://bot.example.org/tg/hook"
SECRET = "bench-cluster-secret"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def replies(user: TestUser) -> int:
    return sum(1 for m in user.history if m.from_bot)


async def person(user: TestUser, messages: int, latencies: list[float], timeout: float) -> None:
    for n in range(messages):
        started = time.monotonic()
        await user.send("/start" if n == 0 else "/sos")
        deadline = started + timeout
        # The emulator's chats are polled like bench/updates.py does: no waiter per person.
        while replies(user) < n + 1 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if replies(user) < n + 1:
            return  # lost: counted at the end
        latencies.append((time.monotonic() - started) * 1000)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0, help="per reply, seconds")
    args = parser.parse_args()

    postgres, redis = PostgresServer().start(), RedisServer().start()
    workdir = Path(tempfile.mkdtemp(prefix="semya-cluster-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        url = postgres.url(postgres.new_database())
        await asyncio.to_thread(upgrade, url)  # Alembic's env runs a loop of its own
        async with Emulator() as emu:
            emu.add_bot(username="semya_cluster_bot")
            ports = [free_port() for _ in range(args.instances)]
            emu.balance_webhook(HOOK, [f"http://127.0.0.1:{p}/tg/hook" for p in ports])
            for n, port in enumerate(ports):
                env = {
                    **os.environ, "BOT_TOKEN": emu.default_token,
                    "TELEGRAM_API_URL": emu.api_url, "DATABASE_URL": url,
                    "REDIS_URL": redis.url, "WEBHOOK_URL": HOOK, "WEBHOOK_SECRET": SECRET,
                    "WEBHOOK_LISTEN_HOST": "127.0.0.1", "WEBHOOK_LISTEN_PORT": str(port),
                    "INSTANCE_ID": f"bench{n}", "SEND_RATE_LIMIT": "0", "LOG_LEVEL": "WARNING",
                }  # fmt: skip
                with (workdir / f"bot{n}.log").open("wb") as log:
                    procs.append(subprocess.Popen(  # noqa: ASYNC220 (started once)
                        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                        stdout=log, stderr=subprocess.STDOUT,
                    ))  # fmt: skip
            deadline = time.monotonic() + 60
            while len(emu.calls("setWebhook")) < args.instances:
                if time.monotonic() > deadline:
                    print("the instances did not start; logs in", workdir)
                    return 1
                await asyncio.sleep(0.1)
            users = [emu.add_user(language_code="ru") for _ in range(args.people)]
            latencies: list[float] = []
            started = time.monotonic()
            await asyncio.gather(
                *(person(u, args.messages, latencies, args.timeout) for u in users)
            )
            seconds = time.monotonic() - started
            await asyncio.sleep(2)  # anything answered twice has had its chance to show
            sent = args.people * args.messages
            got = sum(min(replies(u), args.messages) for u in users)
            duplicates = sum(max(0, replies(u) - args.messages) for u in users)
            print(f"instances: {args.instances}, people: {args.people}, updates: {sent}")
            print(f"updates/s: {len(latencies) / seconds:,.0f} over {seconds:.1f} s")
            print(
                f"reply latency ms: p50 {percentile(latencies, 50):.0f}, "
                f"p95 {percentile(latencies, 95):.0f}, p99 {percentile(latencies, 99):.0f}"
            )
            print(f"duplicates: {duplicates}, lost: {sent - got}")
            print(f"emulator violations: {len(emu.violations)}")
            return 0 if duplicates == 0 and got == sent and not emu.violations else 1
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.stop()
        postgres.stop()


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
