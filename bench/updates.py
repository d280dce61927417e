"""Benchmark: `/start` from many distinct new users → the bot → its reply, via the emulator.

    .venv/bin/python bench/updates.py [--users 5000] [--rate 50] [--duration 10]
                                      [--only ours|bare] [--warmup 20] [--timeout 120]
                                      [--database sqlite|postgresql|both]

The Bot API emulator (sandbox/) runs in this process; each bot runs as a separate real
process polling it over HTTP, one after the other, each against a fresh emulator:

* ours/sqlite — `python -m bot run` on a fresh SQLite database (migrated first with
  `python -m bot migrate`);
* ours/postgresql — the same on a fresh database of a throwaway PostgreSQL server started
  here (tests/servers.py: initdb in a temporary directory, a free loopback port; with
  PostgreSQL's durable defaults, fsync and synchronous commit on), with `--database
  postgresql` or `both`;
* bare — `python bench/echo_bot.py`, a minimal aiogram 3 echo bot (no DB, no middlewares).

Phases, per bot (after a warm-up of --warmup users that is not counted):

* burst — --users users each send `/start` as fast as this process can queue them;
  throughput = expected replies / (last such reply − first send);
* paced — --rate × --duration new users send `/start` at that fixed offered rate; its
  latencies are the per-update cost rather than the queueing delay of a burst.

Latency of one update = emulator-side completion time of the bot's first successful
`sendMessage` to that chat (`CallRecord.time`, i.e. the moment the reply is stored and the
person sees it) − `time.time()` taken just before the user's update was queued. Both clocks
are this process's. Nobody waits per user: completion is detected by scanning the chats, and
all timings are read from the call log afterwards. Only the expected reply counts (the
language picker for ours, the echo for bare); an error message is a "wrong reply".

Columns: errors = calls of the bot the emulator answered with an error; bot CPU = user+system
time of the bot process (all threads) per update; emu CPU = the same for this process (the
emulator and the load generator); other load = cores used meanwhile by other processes on
the machine (should be ~0: anything else running disturbs the figures).

Exit status: 0 if every user got the expected reply and the emulator saw no invalid call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import math
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sandbox import Emulator
from sandbox.testing import TestUser

ROOT = Path(__file__).resolve().parent.parent
ECHO_BOT = Path(__file__).resolve().parent / "echo_bot.py"
START = "/start"
SCAN_INTERVAL = 0.02  # how often the chats are scanned for replies (does not affect timings)
SEND_YIELD_EVERY = 50  # a burst lets the event loop serve the bot between chunks of sends
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
MIGRATE_TIMEOUT = 60.0


class BenchError(Exception):
    """The benchmark cannot go on (a bot did not start, a phase lost replies...)."""


# == the bots under test =================================================================


@dataclass(frozen=True)
class BotKind:
    name: str
    username: str
    argv: tuple[str, ...]
    database: str | None  # "sqlite", "postgresql", or None (the bare bot has none)
    expected: Callable[[str], bool]  # is this the reply to /start?
    expected_text: str


def ours(database: str) -> BotKind:
    return BotKind(
        name=f"ours/{database}",
        username="semya_bench_bot",
        argv=(sys.executable, "-m", "bot", "run"),
        database=database,
        # A new ru user gets the language picker ("Здравствуйте! Выберите...").
        expected=lambda text: text.startswith("Здравствуйте"),
        expected_text="the language picker (Здравствуйте!...)",
    )


OURS_SQLITE, OURS_POSTGRESQL = ours("sqlite"), ours("postgresql")
BARE = BotKind(
    name="bare",
    username="echo_bench_bot",
    argv=(sys.executable, str(ECHO_BOT)),
    database=None,
    expected=lambda text: text == START,
    expected_text=repr(START),
)
KINDS = {k.name: k for k in (OURS_SQLITE, OURS_POSTGRESQL, BARE)}
DATABASES = {
    "sqlite": (OURS_SQLITE,),
    "postgresql": (OURS_POSTGRESQL,),
    "both": (OURS_SQLITE, OURS_POSTGRESQL),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc); NaN elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return math.nan
    fields = stat.rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used since boot (Linux); NaN elsewhere."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return math.nan
    # cpu user nice system idle iowait irq softirq steal ...
    ticks = [int(x) for x in first[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def code_version() -> str:
    """The commit under test and whether bot/ or db/ differ from it (the bot runs the tree)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "bot", "db", "locales"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    changed = [line[3:] for line in dirty if line.strip()]
    if not changed:
        return f"git {head or '?'}"
    return f"git {head or '?'} + uncommitted changes in {', '.join(changed)}"


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


class BotProcess:
    """One bot as a child process with its stdout/stderr in a file."""

    def __init__(self, kind: BotKind, workdir: Path, env: dict[str, str]) -> None:
        self.kind = kind
        self.workdir = workdir
        self.env = env
        self.log_path = workdir / "bot.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        self.ready_seconds = math.nan
        self.stop_seconds = math.nan
        self.returncode: int | None = None
        self.killed = False  # did not exit within STOP_TIMEOUT of SIGTERM

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def _run(self, argv: Sequence[str], log: Path) -> asyncio.subprocess.Process:
        with log.open("ab") as out:
            return await asyncio.create_subprocess_exec(
                *argv,
                cwd=ROOT,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def migrate(self) -> None:
        log = self.workdir / "migrate.log"
        proc = await self._run((sys.executable, "-m", "bot", "migrate"), log)
        try:
            rc = await asyncio.wait_for(proc.wait(), MIGRATE_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise BenchError(
                f"migration did not finish in {MIGRATE_TIMEOUT}s:\n{tail(log)}"
            ) from None
        if rc != 0:
            raise BenchError(f"`python -m bot migrate` exited with {rc}:\n{tail(log)}")

    async def start(self, emu: Emulator, token: str) -> None:
        self.started_at = time.monotonic()
        self.proc = await self._run(self.kind.argv, self.log_path)
        # getUpdates is logged only when its long poll returns; aiogram calls getMe right
        # before it starts polling (our bot: after deleteWebhook and the command menus).
        deadline = self.started_at + READY_TIMEOUT
        while not emu.calls("getMe", bot=token):
            if self.proc.returncode is not None:
                raise BenchError(
                    f"{self.kind.name} bot exited with {self.proc.returncode} before polling;"
                    f" its output:\n{tail(self.log_path)}"
                )
            if time.monotonic() > deadline:
                raise BenchError(
                    f"{self.kind.name} bot did not call getMe within {READY_TIMEOUT}s;"
                    f" its output:\n{tail(self.log_path)}"
                )
            await asyncio.sleep(0.02)
        self.ready_seconds = time.monotonic() - self.started_at

    async def settle(self, quiet: float = 0.02, window: float = 0.25, limit: float = 10.0) -> None:
        """Wait until the bot is idle (work after its last reply, e.g. commits, is done)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before = cpu_seconds(self.pid)
            await asyncio.sleep(window)
            used = cpu_seconds(self.pid) - before
            if math.isnan(used) or used / window < quiet:
                return

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT."""
        if self.proc is None or self.proc.returncode is not None:
            return
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT)
        except TimeoutError:
            self.killed = True
            self.proc.kill()
            await self.proc.wait()
        self.stop_seconds = time.monotonic() - t0
        self.returncode = self.proc.returncode


# == phases ==============================================================================


@dataclass
class PhaseResult:
    bot: str
    phase: str
    users: int
    seconds: float
    latencies_ms: list[float]  # of the users that got the expected reply
    errors: int  # non-2xx calls of the bot during the phase
    timeouts: int  # users without a reply
    wrong: int  # users whose first reply was not the expected one
    wrong_texts: Counter[str]  # what those users got instead (first 70 characters)
    bot_cpu: float  # seconds
    emu_cpu: float  # seconds, this whole process (emulator + load generator)
    other_cpu: float  # cores used by other processes on the machine meanwhile (noise)
    offered_rate: float | None = None
    send_seconds: float = 0.0  # how long queueing all the updates took

    @property
    def replied(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.replied / self.seconds if self.seconds > 0 else math.nan

    def pct(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    @property
    def failed(self) -> bool:
        return self.timeouts > 0 or self.wrong > 0


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def first_bot_text(user: TestUser) -> str | None:
    for ev in user.chat.events:
        if ev.from_bot and ev.kind == "message":
            return str(ev.message.get("text") or ev.message.get("caption") or "")
    return None


async def wait_replies(users: Sequence[TestUser], deadline: float) -> list[TestUser]:
    """Scan the chats until each has a bot message or the deadline passes; the unanswered."""
    pending = list(users)
    while pending:
        # The first event of each chat is the user's /start; anything after it is the bot's.
        pending = [u for u in pending if len(u.chat.events) < 2]
        if not pending or time.monotonic() > deadline:
            break
        await asyncio.sleep(SCAN_INTERVAL)
    return pending


async def run_phase(
    emu: Emulator,
    token: str,
    bot: BotProcess,
    name: str,
    users: Sequence[TestUser],
    *,
    rate: float | None,
    timeout: float,
) -> PhaseResult:
    """Send /start from every user (as fast as possible, or at `rate` per second), collect."""
    sent: dict[int, float] = {}
    cpu_bot0, cpu_emu0 = cpu_seconds(bot.pid), time.process_time()
    busy0, wall0 = machine_busy_seconds(), time.monotonic()
    log_mark = time.time()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    for i, user in enumerate(users):
        if rate is not None:
            delay = t0 + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        elif i % SEND_YIELD_EVERY == SEND_YIELD_EVERY - 1:
            await asyncio.sleep(0)
        sent[user.chat.id] = time.time()
        await user.send(START)
    send_seconds = loop.time() - t0
    missing = await wait_replies(users, time.monotonic() + timeout)
    await bot.settle()
    cpu_bot, cpu_emu = cpu_seconds(bot.pid) - cpu_bot0, time.process_time() - cpu_emu0
    busy, wall = machine_busy_seconds() - busy0, time.monotonic() - wall0
    other = max(0.0, busy - cpu_bot - cpu_emu) / wall

    replies: dict[int, float] = {}
    errors = 0
    for rec in emu.calls(bot=token):
        if rec.time < log_mark:
            continue
        if rec.status != 200:
            errors += 1
        elif rec.method == "sendMessage":
            chat_id = int(str(rec.params.get("chat_id")))
            if chat_id in sent and chat_id not in replies:
                replies[chat_id] = rec.time
    # Only the expected reply counts as served; an error message is a failure, not a reply.
    wrong_texts: Counter[str] = Counter()
    for user in users:
        text = first_bot_text(user)
        if text is not None and not bot.kind.expected(text):
            wrong_texts[" ".join(text.split())[:70]] += 1
            replies.pop(user.chat.id, None)
    latencies = [(replies[c] - t) * 1000 for c, t in sent.items() if c in replies]
    seconds = (max(replies.values()) - min(sent.values())) if replies else math.nan
    return PhaseResult(
        bot=bot.kind.name,
        phase=name,
        users=len(users),
        seconds=seconds,
        latencies_ms=latencies,
        errors=errors,
        timeouts=len(missing),
        wrong=sum(wrong_texts.values()),
        wrong_texts=wrong_texts,
        bot_cpu=cpu_bot,
        emu_cpu=cpu_emu,
        other_cpu=other,
        offered_rate=rate,
        send_seconds=send_seconds,
    )


# == one bot, start to finish ============================================================


@dataclass
class BotRun:
    kind: BotKind
    results: list[PhaseResult] = field(default_factory=list)
    violations: int = 0
    ready_seconds: float = math.nan
    stop_seconds: float = math.nan
    returncode: int | None = None
    killed: bool = False


def new_users(emu: Emulator, token: str, n: int, tag: str) -> list[TestUser]:
    return [emu.add_user(first_name=f"{tag}{i}", language_code="ru", bot=token) for i in range(n)]


class Databases:
    """A fresh database for each run of ours; one PostgreSQL server, started when first asked."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self._postgres: Any = None
        self._count = 0

    def url(self, kind: BotKind, workdir: Path) -> str:
        if kind.database != "postgresql":
            return f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        if self._postgres is None:
            sys.path.insert(0, str(ROOT))  # tests/ is not an installed package
            from tests.servers import PostgresServer

            self._postgres = PostgresServer(durable=True).start()
        self._count += 1
        name = f"bench{self._count}"
        self._postgres.sql(f"CREATE DATABASE {name}")
        return str(self._postgres.url(name))

    def close(self) -> None:
        if self._postgres is not None:
            self._postgres.stop()


async def bench_bot(
    kind: BotKind, args: argparse.Namespace, tmp: Path, databases: Databases
) -> BotRun:
    run = BotRun(kind)
    workdir = tmp / kind.name.replace("/", "-")
    workdir.mkdir()
    paced_n = round(args.rate * args.duration) if args.rate > 0 and args.duration > 0 else 0
    log_size = max(100_000, 4 * (args.warmup + args.users + paced_n) + 1_000)
    async with Emulator(log_size=log_size) as emu:
        token = emu.add_bot(username=kind.username)
        env = {
            **os.environ,
            "BOT_TOKEN": token,
            "TELEGRAM_API_URL": emu.api_url,
            "DATABASE_URL": databases.url(kind, workdir) if kind.database else "",
            "LOG_LEVEL": args.log_level,
            "WEBHOOK_URL": "",
            "ADMIN_IDS": "",
            # Like the bare bot, ours sends as fast as it can here: the benchmark measures the
            # bot, not Telegram's 30 messages/s (which would cap the burst at 28 replies/s).
            "SEND_RATE_LIMIT": str(args.send_rate),
        }
        bot = BotProcess(kind, workdir, env)
        try:
            if kind.database:
                await bot.migrate()
            await bot.start(emu, token)
            run.ready_seconds = bot.ready_seconds
            print(f"  {kind.name}: polling after {bot.ready_seconds:.2f}s (pid {bot.pid})")

            if args.warmup > 0:
                warm = await run_phase(
                    emu,
                    token,
                    bot,
                    "warm-up",
                    new_users(emu, token, args.warmup, "warm"),
                    rate=None,
                    timeout=min(args.timeout, 30.0),
                )
                if warm.failed:
                    raise BenchError(
                        f"{kind.name}: warm-up got {warm.replied}/{warm.users} replies"
                        f" ({warm.wrong} unexpected); its output:\n{tail(bot.log_path)}"
                    )

            burst = await run_phase(
                emu,
                token,
                bot,
                "burst",
                new_users(emu, token, args.users, "burst"),
                rate=None,
                timeout=args.timeout,
            )
            run.results.append(burst)
            print(f"  {kind.name}: {describe(burst)}")

            if paced_n:
                paced = await run_phase(
                    emu,
                    token,
                    bot,
                    f"paced {args.rate:g}/s×{args.duration:g}s",
                    new_users(emu, token, paced_n, "paced"),
                    rate=args.rate,
                    timeout=args.timeout,
                )
                run.results.append(paced)
                print(f"  {kind.name}: {describe(paced)}")
        finally:
            await bot.stop()
            run.stop_seconds, run.returncode = bot.stop_seconds, bot.returncode
            run.killed = bot.killed
            if bot.proc is not None:
                how = f"killed after {STOP_TIMEOUT:g}s" if bot.killed else "exited"
                print(
                    f"  {kind.name}: SIGTERM → {how} in {bot.stop_seconds:.2f}s,"
                    f" exit code {bot.returncode}"
                )
            run.violations = len(emu.violations)
            for rec in emu.violations[:5]:
                print(f"  violation: {rec.method} → {rec.status} {rec.error}")
        if any(r.failed for r in run.results):
            print(f"  {kind.name} bot output (last lines):")
            print("    " + tail(bot.log_path, 5).replace("\n", "\n    "))
    return run


def describe(r: PhaseResult) -> str:
    return (
        f"{r.phase}: {r.replied}/{r.users} expected replies in {r.seconds:.2f}s"
        f" (queued in {r.send_seconds:.2f}s), p50 {r.pct(50):.0f} ms,"
        f" {r.timeouts} without reply, {r.wrong} wrong"
    )


# == report ==============================================================================


def fmt(x: float, digits: int = 1) -> str:
    return "—" if math.isnan(x) else f"{x:,.{digits}f}"


def print_table(runs: Sequence[BotRun]) -> None:
    header = (
        "bot",
        "phase",
        "ok/sent",
        "seconds",
        "upd/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        "no reply",
        "wrong reply",
        "bot CPU ms/upd",
        "emu CPU ms/upd",
        "other load",
    )
    rows: list[tuple[str, ...]] = []
    for run in runs:
        for r in run.results:
            n = max(r.users, 1)
            rows.append(
                (
                    r.bot,
                    r.phase,
                    f"{r.replied}/{r.users}",
                    fmt(r.seconds, 2),
                    fmt(r.throughput, 0),
                    fmt(r.pct(50)),
                    fmt(r.pct(95)),
                    fmt(r.pct(99)),
                    fmt(max(r.latencies_ms, default=math.nan)),
                    str(r.errors),
                    str(r.timeouts),
                    str(r.wrong),
                    fmt(r.bot_cpu * 1000 / n, 2),
                    fmt(r.emu_cpu * 1000 / n, 2),
                    fmt(r.other_cpu, 2),
                )
            )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    left = {0, 1}

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def print_ratios(runs: Sequence[BotRun]) -> None:
    bare_run = next((run for run in runs if run.kind is BARE), None)
    if bare_run is None:
        return
    bare = {r.phase: r for r in bare_run.results}

    def ratio(a: float, b: float) -> str:
        return fmt(a / b, 2) if b and not math.isnan(a) and not math.isnan(b) else "—"

    for run in runs:
        if run.kind is BARE:
            continue
        print()
        print(f"{run.kind.name} / bare:")
        for r in run.results:
            base = bare.get(r.phase)
            if base is None:
                continue
            n, base_n = max(r.users, 1), max(base.users, 1)
            print(
                f"  {r.phase:<16}  upd/s ×{ratio(r.throughput, base.throughput)}"
                f"   p50 ×{ratio(r.pct(50), base.pct(50))}"
                f"   p95 ×{ratio(r.pct(95), base.pct(95))}"
                f"   bot CPU/upd {fmt(r.bot_cpu * 1000 / n, 2)} vs"
                f" {fmt(base.bot_cpu * 1000 / base_n, 2)} ms"
                f" = ×{ratio(r.bot_cpu / n, base.bot_cpu / base_n)}"
            )


# == main ================================================================================


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/updates.py", description=__doc__.split("\n", 1)[0] if __doc__ else None
    )
    p.add_argument("--users", type=int, default=5000, help="users in the burst (default 5000)")
    p.add_argument(
        "--rate", type=float, default=50.0, help="paced phase: updates/s (0 = none; default 50)"
    )
    p.add_argument("--duration", type=float, default=10.0, help="paced phase: seconds (default 10)")
    p.add_argument("--only", choices=("ours", "bare"), help="benchmark one bot only")
    p.add_argument(
        "--database",
        choices=sorted(DATABASES),
        default="sqlite",
        help="what our bot runs on: sqlite (default), postgresql (a throwaway server started"
        " here), or both in one run beside the bare bot",
    )
    p.add_argument("--warmup", type=int, default=20, help="warm-up users, not counted")
    p.add_argument(
        "--timeout", type=float, default=120.0, help="max wait for replies after the last send"
    )
    p.add_argument(
        "--send-rate",
        type=float,
        default=0.0,
        help="SEND_RATE_LIMIT of our bot, messages/s (default 0: unpaced, like the bare bot)",
    )
    p.add_argument(
        "--log-level",
        default="WARNING",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="LOG_LEVEL of the bot processes (default WARNING)",
    )
    args = p.parse_args(argv)
    if args.users < 1:
        p.error("--users must be at least 1")
    return args


async def amain(args: argparse.Namespace) -> int:
    ours_kinds = list(DATABASES[args.database])
    kinds = {"ours": ours_kinds, "bare": [BARE]}.get(args.only or "", [*ours_kinds, BARE])
    # SIGTERM (and Ctrl+C, which asyncio turns into the same) cancels the run, and the bot
    # processes are stopped and the temporary directories removed on the way out.
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    print("bench/updates.py: /start from distinct new users → bot → reply, via sandbox/")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    for kind in kinds:
        print(f"{kind.name} bot: {shlex.join(kind.argv)}")
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()},"
        f" aiogram {version('aiogram')}, SQLAlchemy {version('sqlalchemy')};"
        f" bot LOG_LEVEL={args.log_level}"
    )
    print(f"code: {code_version()}")
    print(
        "latency: emulator time of the bot's sendMessage to the chat − time just before the"
        " user's update was queued"
    )
    runs: list[BotRun] = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as tmp:
        databases = Databases(Path(tmp))
        try:
            for kind in kinds:
                try:
                    runs.append(await bench_bot(kind, args, Path(tmp), databases))
                except BenchError as exc:
                    print(f"FAILED: {exc}")
                    failed = True
                    break
        finally:
            databases.close()
    if runs:
        print()
        print_table(runs)
        print_ratios(runs)
    print()
    violations = sum(run.violations for run in runs)
    print(f"emulator violations: {violations}")
    for run in runs:
        how = (
            f"did not exit within {STOP_TIMEOUT:g}s of SIGTERM: killed"
            if run.killed
            else f"exited {fmt(run.stop_seconds, 2)}s after SIGTERM"
        )
        print(
            f"{run.kind.name}: polling {fmt(run.ready_seconds, 2)}s after start; {how},"
            f" exit code {run.returncode}"
        )
    noisy = max((r.other_cpu for run in runs for r in run.results), default=0.0)
    if noisy > 0.2:
        print(
            f"WARNING: other processes on this machine used up to {noisy:.2f} cores during a"
            " phase (column 'other load'): the figures are disturbed; rerun on a quiet machine"
        )
    missing = [r for run in runs for r in run.results if r.failed]
    for r in missing:
        print(
            f"FAILED: {r.bot} {r.phase}: {r.timeouts} users got no reply within {args.timeout}s;"
            f" {r.wrong} got something else than {KINDS[r.bot].expected_text}:"
        )
        for text, n in r.wrong_texts.most_common(3):
            print(f"  {n} × {text!r}")
    if violations:
        print("FAILED: the emulator rejected calls as invalid")
    return 1 if failed or missing or violations else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # progress lines show up as they happen
    try:
        return asyncio.run(amain(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except asyncio.CancelledError:
        print("terminated", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
