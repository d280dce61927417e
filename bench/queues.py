"""Benchmark: the service queues — specialists racing for Take, and routing under Telegram's limits.

    .venv/bin/python bench/queues.py [--only claims|routing] [--quick] [--requests N]
                                     [--specialists 50] [--processes | --one-database]
                                     [--groups 1] [--on-duty 1]
                                     [--deal random|round-robin|skewed]
                                     [--timeout S] [--send-rate 28] [--seed 1]

Two parts, each on a fresh temporary SQLite database migrated to head:

* claims — --requests (1,000) requests in status new inserted directly (rows of a few
  families in `requests`, with the SLA reminder `submit` would schedule for each), and
  --specialists (50) specialists of their queue (`queue_staff`). Then one worker per
  specialist, each with its own `Database` on the same file (its own connection, as a
  separate bot process would have), presses Take on every request in its own random order,
  all starting at once: `bot.services.cases.take` in a transaction of its own, as the Take
  handler does (BEGIN IMMEDIATE, busy_timeout: db/session.py). The workers are coroutines of
  this process, or with --processes real processes (multiprocessing); with --one-database
  coroutines sharing one `Database` (one connection, as every press inside one bot process
  does). Latency of a claim = from opening its session to its commit (the wait for SQLite's
  write lock included). Afterwards the database is checked: every request has exactly one
  assignee, the one whose press won, and exactly --requests presses won ("double takes"
  must be 0).
* routing — the Bot API emulator (sandbox/) with its rate-limit model on runs in this
  process; --groups (1) forum groups, each linked to one queue of content/queues.toml (the
  first G in file order; `queue_links` rows inserted directly), --on-duty (1) specialists
  on duty per queue; the real bot process (`python -m bot run`, SEND_RATE_LIMIT=--send-rate)
  polls it. Then --requests (100) families, one request each, submitted through
  `bot.services.requests.submit` (which schedules a ROUTE item in `due_work`), dealt over the
  queues in submit order (--deal). The bot's WorkRunner (ticking every 2 s) creates a topic
  and a card per request and tells those on duty. Wall time = first submit → the emulator's
  completion of the last card; wait = a request's submit → its card. Pace per group =
  messages the group received per minute, overall and after the first 20 (the emulator's
  burst), and the most in any 60 s, against Telegram's ~20 messages/min per group.

Exit status: 0 unless a claim was taken twice, a request was left without its one assignee,
a press failed, a request was not routed in --timeout, a request got more than one topic or
card, the emulator answered the bot with 429, or rejected a call as invalid. Timings are
printed, never checked.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import math
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import shlex
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, the project root not
    sys.path.insert(0, str(ROOT))

from bench.updates import (  # noqa: E402
    BenchError,
    BotKind,
    BotProcess,
    code_version,
    cpu_seconds,
    fmt,
    machine_busy_seconds,
    percentile,
    tail,
)
from bot.services import cases  # noqa: E402
from bot.services.queues import Queue, Queues, load_queues  # noqa: E402
from bot.services.requests import RequestDraft, submit  # noqa: E402
from bot.services.triage import HIGH_CATEGORIES  # noqa: E402
from db.base import utcnow  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import (  # noqa: E402
    AuditLog,
    ContactMethod,
    DueWork,
    HelpKind,
    HelpRequest,
    Person,
    Priority,
    QueueLink,
    QueueStaff,
    RequestStatus,
    Role,
    Urgency,
    WorkKind,
    WorkStatus,
)
from db.session import Database  # noqa: E402
from sandbox import Emulator  # noqa: E402

CLAIMS_QUEUE = "irk_crisis"
CLAIMS_FAMILIES = 10  # "a few families" own the requests of the claims part
GROUP_LIMIT_PER_MIN = 20.0  # Telegram: about 20 messages a minute to one group
GROUP_BURST = 20  # the emulator's bucket holds 20 (bot/middlewares/pacing.py books 19)
PACER_GROUP_INTERVAL = 3.2  # seconds between a group's messages once its burst is spent
PACER_GROUP_BURST = 19
PROGRESS_EVERY = 30.0  # seconds between progress lines of the routing part
POLL_INTERVAL = 0.5  # how often the database is read while waiting for the routing
START_TIMEOUT = 120.0  # workers connecting before the start signal
STORY = "Нужна помощь: мы не справляемся, дети маленькие, хотим поговорить со специалистом."

OURS = BotKind(
    name="ours",
    username="semya_bench_bot",
    argv=(sys.executable, "-m", "bot", "run"),
    needs_db=True,
    expected=lambda _text: True,
    expected_text="",
)


# == part 1: claims ======================================================================


@dataclass
class ClaimSetup:
    url: str
    specialists: list[int]  # people ids
    requests: list[int]


async def seed_claims(url: str, n_requests: int, n_specialists: int) -> ClaimSetup:
    db = Database(url)
    try:
        async with db.session() as session, session.begin():
            families = [
                Person(telegram_id=10_000 + i, locale="ru", region="irkutsk", consent_version="x")
                for i in range(CLAIMS_FAMILIES)
            ]
            staff = [
                Person(
                    telegram_id=20_000 + i,
                    role=Role.SPECIALIST,
                    locale="ru",
                    display_name=f"Специалист {i + 1}",
                )
                for i in range(n_specialists)
            ]
            session.add_all([*families, *staff])
            await session.flush()
            session.add_all(QueueStaff(queue_key=CLAIMS_QUEUE, person_id=p.id) for p in staff)
            now = utcnow()
            requests = [
                HelpRequest(
                    person_id=families[i % len(families)].id,
                    queue_key=CLAIMS_QUEUE,
                    help_kind=HelpKind.PSYCHOLOGICAL,
                    urgency=Urgency.NORMAL,
                    priority=Priority.NORMAL,
                    status=RequestStatus.NEW,
                    summary=STORY,
                    contact_method=ContactMethod.CHAT,
                    sla_due_at=now + timedelta(hours=4),
                )
                for i in range(n_requests)
            ]
            session.add_all(requests)
            await session.flush()
            # What submit schedules besides the routing: the SLA reminder a win cancels.
            session.add_all(
                DueWork(kind=WorkKind.SLA_REMIND, target_id=r.id, due_at=now + timedelta(hours=4))
                for r in requests
            )
            return ClaimSetup(url, [p.id for p in staff], [r.id for r in requests])
    finally:
        await db.dispose()


# One press of Take: (request id, won, start, end (time.monotonic), error or "").
Press = tuple[int, bool, float, float, str]


async def claim_worker(
    url: str,
    person_id: int,
    order: list[int],
    go: asyncio.Barrier | Any,
    shared: Database | None = None,
) -> list[Press]:
    """One specialist's bot connection: connect, wait for the start, press Take on each
    request in `order`. `go` is an asyncio.Barrier, or a multiprocessing Barrier (in a
    process of its own, where blocking the loop while waiting is harmless). `shared`: use
    that Database (one connection for all, as inside one bot process) instead of one's own."""
    db = shared or Database(url)
    presses: list[Press] = []
    try:
        async with db.session() as session:  # warm: the connection is open before the start
            person = await session.get(Person, person_id)
        assert person is not None
        if isinstance(go, asyncio.Barrier):
            await go.wait()
        else:
            go.wait(START_TIMEOUT)
        for request_id in order:
            start = time.monotonic()
            error = ""
            won = False
            try:
                async with db.session() as session, session.begin():
                    won = (await cases.take(session, request_id, person)).won
            except Exception as exc:  # a failed press is counted and reported, not fatal
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
            presses.append((request_id, won, start, time.monotonic(), error))
    finally:
        if shared is None:
            await db.dispose()
    return presses


def _claim_process(
    url: str, person_id: int, order: list[int], barrier: Any, results: Any, index: int
) -> None:
    try:
        presses = asyncio.run(claim_worker(url, person_id, order, barrier))
    except BaseException as exc:  # the parent must hear of it, not wait for ever
        results.put((index, [], f"{type(exc).__name__}: {exc}"))
        raise
    results.put((index, presses, ""))


@dataclass
class ClaimResult:
    mode: str
    requests: int
    workers: int
    presses: list[Press]
    wall: float  # start signal → last commit
    cpu: float  # seconds of CPU, all workers
    other_cpu: float  # cores other processes used meanwhile
    assignees: dict[int, int | None]  # request id → assignee in the database
    statuses: Counter[str]
    take_audits: Counter[int]  # request id → "case.take" audit lines
    sla_cancelled: int
    winners: dict[int, list[int]] = field(default_factory=dict)  # request → winning workers

    @property
    def won(self) -> int:
        return sum(1 for p in self.presses if p[1])

    @property
    def errors(self) -> list[str]:
        return [p[4] for p in self.presses if p[4]]

    @property
    def lost(self) -> int:
        return sum(1 for p in self.presses if not p[1] and not p[4])

    @property
    def double_takes(self) -> int:
        """Requests more than one press won, or whose assignee is not the one that won."""
        doubled = {r for r, w in self.winners.items() if len(w) > 1}
        doubled |= {r for r, n in self.take_audits.items() if n > 1}
        return len(doubled)

    @property
    def wrong_assignee(self) -> int:
        """Requests whose assignee in the database is not the one press that won."""
        return sum(
            1
            for r, assignee in self.assignees.items()
            if len(self.winners.get(r, [])) == 1 and assignee != self.winners[r][0]
        )

    @property
    def unassigned(self) -> int:
        return sum(1 for a in self.assignees.values() if a is None)

    @property
    def failed(self) -> bool:
        return bool(
            self.double_takes
            or self.wrong_assignee
            or self.unassigned
            or self.won != self.requests
            or self.errors
            or self.statuses.get(RequestStatus.IN_PROGRESS.value, 0) != self.requests
        )


async def check_claims(url: str, result: ClaimResult) -> None:
    """What the database says afterwards: assignees, statuses, audit lines, SLA items."""
    db = Database(url)
    try:
        async with db.session() as session:
            rows = (await session.execute(select(HelpRequest.id, HelpRequest.assignee_id))).all()
            result.assignees = {r: a for r, a in rows}
            result.statuses = Counter(
                str(s.value) for s in (await session.scalars(select(HelpRequest.status))).all()
            )
            audits = (
                await session.execute(
                    select(AuditLog.object_id, func.count())
                    .where(AuditLog.action == "case.take")
                    .group_by(AuditLog.object_id)
                )
            ).all()
            result.take_audits = Counter({int(r): int(n) for r, n in audits if r is not None})
            result.sla_cancelled = int(
                await session.scalar(
                    select(func.count()).where(
                        DueWork.kind == WorkKind.SLA_REMIND,
                        DueWork.status == WorkStatus.CANCELLED,
                    )
                )
                or 0
            )
    finally:
        await db.dispose()


def run_claims(args: argparse.Namespace, tmp: Path) -> ClaimResult:
    """Synchronous on purpose: with --processes the workers are forked before any event loop
    or database thread exists in this process."""
    n, workers = args.requests_claims, args.specialists
    url = f"sqlite+aiosqlite:///{tmp / 'claims.db'}"
    upgrade(url)
    setup = asyncio.run(seed_claims(url, n, workers))
    rng = random.Random(args.seed)
    orders = [rng.sample(setup.requests, len(setup.requests)) for _ in setup.specialists]
    if args.processes:
        mode, how = "processes", "each its own Database and connection"
    elif args.one_database:
        mode, how = "one connection", "sharing one Database: one connection, as in one bot"
    else:
        mode, how = "coroutines", "each its own Database and connection"
    print(
        f"  claims: {n:,} requests, {workers} specialists as {workers}"
        f" {'processes' if args.processes else 'coroutines'} ({how}),"
        f" each pressing Take on all {n:,} in its own random order"
    )
    busy0 = machine_busy_seconds()
    presses_of: dict[int, list[Press]] = {}
    if args.processes:
        ctx: Any = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
        barrier = ctx.Barrier(workers + 1)
        results = ctx.Queue()
        procs = [
            ctx.Process(
                target=_claim_process,
                args=(url, pid, order, barrier, results, i),
                daemon=True,
            )
            for i, (pid, order) in enumerate(zip(setup.specialists, orders, strict=True))
        ]
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        for proc in procs:
            proc.start()
        try:
            barrier.wait(START_TIMEOUT)
        except Exception as exc:  # BrokenBarrierError: a worker died before the start
            raise BenchError(f"claim workers did not all start: {exc}") from None
        t_go = time.monotonic()
        for _ in procs:
            index, presses, error = results.get()
            if error:
                raise BenchError(f"claim worker {index} failed: {error}")
            presses_of[index] = presses
        for proc in procs:
            proc.join()
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    else:

        async def together() -> tuple[float, list[list[Press]]]:
            go = asyncio.Barrier(workers + 1)
            shared = Database(url) if args.one_database else None
            try:
                tasks = [
                    asyncio.create_task(claim_worker(url, pid, order, go, shared))
                    for pid, order in zip(setup.specialists, orders, strict=True)
                ]
                await asyncio.wait_for(go.wait(), START_TIMEOUT)  # every worker connected
                t = time.monotonic()
                return t, list(await asyncio.gather(*tasks))
            finally:
                if shared is not None:
                    await shared.dispose()

        cpu_start = time.process_time()
        t_go, lists = asyncio.run(together())
        cpu = time.process_time() - cpu_start
        presses_of = dict(enumerate(lists))
    all_presses = [p for i in sorted(presses_of) for p in presses_of[i]]
    end = max((p[3] for p in all_presses), default=t_go)
    wall = end - t_go
    busy = machine_busy_seconds() - busy0
    result = ClaimResult(
        mode=mode,
        requests=n,
        workers=workers,
        presses=all_presses,
        wall=wall,
        cpu=cpu,
        other_cpu=max(0.0, busy - cpu) / max(wall, 1e-9),
        assignees={},
        statuses=Counter(),
        take_audits=Counter(),
        sla_cancelled=0,
    )
    winners: dict[int, list[int]] = defaultdict(list)
    for index, presses in presses_of.items():
        for request_id, won, *_ in presses:
            if won:
                winners[request_id].append(setup.specialists[index])
    result.winners = dict(winners)
    asyncio.run(check_claims(url, result))
    return result


def print_claims(r: ClaimResult) -> None:
    latencies = [(p[3] - p[2]) * 1000 for p in r.presses]
    won_lat = [(p[3] - p[2]) * 1000 for p in r.presses if p[1]]
    attempted = len(r.presses)
    print()
    print(f"claims ({r.mode}): {r.workers} specialists × {r.requests:,} requests")
    rows = [
        ("claims attempted", f"{attempted:,}"),
        ("won", f"{r.won:,}  (must be {r.requests:,})"),
        ("lost (someone else had it)", f"{r.lost:,}"),
        ("failed (error)", f"{len(r.errors):,}"),
        ("double takes", f"{r.double_takes}  (must be 0)"),
        ("assignee ≠ the press that won", str(r.wrong_assignee)),
        ("requests without an assignee", str(r.unassigned)),
        ("statuses afterwards", ", ".join(f"{k} {v:,}" for k, v in sorted(r.statuses.items()))),
        ("SLA reminders cancelled", f"{r.sla_cancelled:,}"),
        ("wall time", f"{r.wall:.2f} s"),
        ("claims/s", fmt(attempted / r.wall if r.wall > 0 else math.nan, 0)),
        (
            "latency p50 / p95 / p99 / max",
            " / ".join(fmt(percentile(latencies, p), 1) for p in (50, 95, 99))
            + f" / {fmt(max(latencies, default=math.nan), 1)} ms",
        ),
        (
            "latency of the winning presses p50 / p95",
            f"{fmt(percentile(won_lat, 50), 1)} / {fmt(percentile(won_lat, 95), 1)} ms",
        ),
        ("CPU per claim (all workers)", f"{fmt(r.cpu * 1000 / max(attempted, 1), 2)} ms"),
        ("other load", f"{fmt(r.other_cpu, 2)} cores"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
    for text, count in Counter(r.errors).most_common(3):
        print(f"  error ×{count}: {text}")


# == part 2: routing under Telegram's limits =============================================


def route_of(queue: Queue, queues: Queues) -> tuple[str, str]:
    """A (help kind, region) that routes to `queue` with normal priority."""
    regions = [queues.other_region or "other"] if "all" in queue.regions else list(queue.regions)
    kinds = [k for k in queue.help if HelpKind(k) not in HIGH_CATEGORIES] or list(queue.help)
    for region in regions:
        for kind in kinds:
            if queues.route(kind, region).key == queue.key:
                return kind, region
    raise BenchError(f"no kind of help and region route to queue {queue.key!r}")


@dataclass
class GroupPace:
    queue: str
    chat_id: int
    cards: int
    topics: int
    times: list[float]  # completion times of the successful sends to the group
    waits: list[float]  # per request of the queue: its submit → its card, seconds
    last_card: float  # seconds after the first submit

    def per_min(self, skip: int = 0) -> float:
        t = self.times[skip:]
        if len(t) < 2 or t[-1] <= t[0]:
            return math.nan
        return (len(t) - 1) / (t[-1] - t[0]) * 60

    def max_in_60s(self) -> int:
        best, j = 0, 0
        for i, t in enumerate(self.times):
            while self.times[j] <= t - 60:
                j += 1
            best = max(best, i - j + 1)
        return best


@dataclass
class RoutingResult:
    requests: int
    groups: int
    routed: int
    wall: float  # first submit → last card
    submit_seconds: float
    first_card: float  # seconds after the first submit
    topics_created: int  # successful createForumTopic calls
    topics_in_groups: int
    duplicate_topics: int  # requests with more than one topic
    cards_sent: int  # successful sends into the groups
    alerts_sent: int  # private messages to those on duty
    statuses: Counter[str]  # of the bot's calls, by HTTP status
    too_many: list[tuple[str, str, int]]  # (method, chat, retry_after) of each 429
    violations: list[str]
    work: Counter[str]  # ROUTE items by status
    retried: int  # ROUTE items that took more than one attempt
    paces: list[GroupPace]
    waits: list[float]  # per request: its submit → its card, seconds
    bot_cpu: float
    timed_out: bool

    @property
    def failed(self) -> bool:
        return bool(
            self.timed_out
            or self.routed != self.requests
            or self.duplicate_topics
            or self.cards_sent != self.routed
            or self.too_many
            or self.violations
        )


async def seed_routing(
    db: Database, emu: Emulator, queues: list[Queue], on_duty: int
) -> dict[str, int]:
    """A forum group per queue with `on_duty` specialists on duty; the group's chat id by
    queue key."""
    chats: dict[str, int] = {}
    async with db.session() as session, session.begin():
        for n, queue in enumerate(queues):
            users = [
                emu.add_user(first_name=f"Дежурный{n}_{i}", language_code="ru")
                for i in range(on_duty)
            ]
            group = emu.add_forum_group(title=f"Очередь: {queue.name('ru')}", members=users)
            chats[queue.key] = group.id
            session.add(QueueLink(queue_key=queue.key, chat_id=group.id, forum=True))
            for user in users:
                person = Person(
                    telegram_id=user.id,
                    role=Role.SPECIALIST,
                    locale="ru",
                    display_name=user.first_name,
                )
                session.add(person)
                await session.flush()
                session.add(QueueStaff(queue_key=queue.key, person_id=person.id, on_duty=True))
    return chats


async def submit_requests(
    db: Database, queues: Queues, targets: list[tuple[str, str]]
) -> dict[int, float]:
    """One new family per request, each submitted in a transaction of its own (as the
    family's Send button does), through `submit`."""
    submitted: dict[int, float] = {}  # request id → time.time() of its commit
    for i, (kind, region) in enumerate(targets):
        async with db.session() as session, session.begin():
            person = Person(
                telegram_id=5_000_000 + i,
                locale="ru",
                region=region,
                consent_version="bench",
                consent_at=utcnow(),
            )
            session.add(person)
            await session.flush()
            draft = RequestDraft(
                category=HelpKind(kind),
                story=f"{STORY} ({i + 1})",
                urgency=Urgency.NORMAL,
                contact=ContactMethod.CHAT,
            )
            request_id = (await submit(session, person, draft, queues)).id
        submitted[request_id] = time.time()
        if i % 20 == 19:
            await asyncio.sleep(0)  # the emulator shares this loop: let it answer the bot
    return submitted


async def routing_progress(db: Database) -> tuple[int, int]:
    """(requests with their card, ROUTE items not yet done)."""
    async with db.session() as session:
        routed = await session.scalar(
            select(func.count()).where(HelpRequest.card_message_id.is_not(None))
        )
        pending = await session.scalar(
            select(func.count()).where(
                DueWork.kind == WorkKind.ROUTE,
                DueWork.status.in_((WorkStatus.PENDING, WorkStatus.WORKING)),
            )
        )
    return int(routed or 0), int(pending or 0)


SKEW = 0.9  # --deal skewed: this share of the requests goes to the first queue


def deal(chosen: list[Queue], n: int, how: str, rng: random.Random) -> list[Queue]:
    """Which queue each request (in submit order) is for."""
    if how == "round-robin" or len(chosen) == 1:
        return [chosen[i % len(chosen)] for i in range(n)]
    if how == "skewed":  # one busy queue; the others' requests come in among its own
        rest = chosen[1:]
        return [chosen[0] if rng.random() < SKEW else rest[i % len(rest)] for i in range(n)]
    return [rng.choice(chosen) for _ in range(n)]


def estimate_seconds(per_group: int) -> float:
    """How long the bot's pacer needs for one group's cards (its burst, then 3.2 s each)."""
    return max(0, per_group - PACER_GROUP_BURST) * PACER_GROUP_INTERVAL


async def run_routing(args: argparse.Namespace, tmp: Path) -> RoutingResult:
    n, g = args.requests_routing, args.groups
    queues = load_queues()
    chosen = list(queues.items[:g])
    rng = random.Random(args.seed)
    dealt = deal(chosen, n, args.deal, rng)
    targets = [route_of(q, queues) for q in dealt]
    per_group = Counter(q.key for q in dealt)
    estimate = 5 + max(estimate_seconds(c) for c in per_group.values())
    timeout = args.timeout if args.timeout is not None else 120 + 1.5 * estimate
    print(
        f"  routing: {n:,} requests over {g} queue(s)/forum group(s) ({args.deal}:"
        f" {', '.join(f'{k} {v}' for k, v in per_group.items())}), {args.on_duty} on duty"
        f" each; the pacer needs ≥ {estimate:.0f} s for the busiest group; timeout"
        f" {timeout:.0f} s"
    )
    workdir = tmp / "routing"
    workdir.mkdir()
    url = f"sqlite+aiosqlite:///{workdir / 'routing.db'}"
    log_size = max(100_000, 10 * n + 10_000)
    async with Emulator(rate_limit=True, log_size=log_size) as emu:
        token = emu.add_bot(username=OURS.username)
        env = {
            **os.environ,
            "BOT_TOKEN": token,
            "TELEGRAM_API_URL": emu.api_url,
            "DATABASE_URL": url,
            "LOG_LEVEL": args.log_level,
            "WEBHOOK_URL": "",
            "ADMIN_IDS": "",
            "SEND_RATE_LIMIT": str(args.send_rate),
        }
        bot = BotProcess(OURS, workdir, env)
        db = Database(url)
        timed_out = False
        try:
            await bot.migrate()
            chats = await seed_routing(db, emu, chosen, args.on_duty)
            await bot.start(emu, token)
            print(f"  routing: bot polling after {bot.ready_seconds:.2f}s (pid {bot.pid})")
            cpu0 = cpu_seconds(bot.pid)
            t0 = time.time()
            submitted = await submit_requests(db, queues, targets)
            submit_seconds = time.time() - t0
            print(f"  routing: {n:,} requests submitted in {submit_seconds:.2f}s")
            deadline = time.monotonic() + timeout
            next_report = time.monotonic() + PROGRESS_EVERY
            while True:
                routed, pending = await routing_progress(db)
                if routed >= n and pending == 0:
                    break
                if time.monotonic() > deadline:
                    timed_out = True
                    print(f"  routing: TIMEOUT after {timeout:.0f}s: {routed:,}/{n:,} routed")
                    break
                if bot.proc is not None and bot.proc.returncode is not None:
                    raise BenchError(
                        f"the bot exited with {bot.proc.returncode}:\n{tail(bot.log_path)}"
                    )
                if time.monotonic() >= next_report:
                    next_report += PROGRESS_EVERY
                    elapsed = time.time() - t0
                    print(
                        f"  routing: {routed:,}/{n:,} routed after {elapsed:.0f}s"
                        f" ({routed / elapsed * 60:.1f}/min)"
                    )
                await asyncio.sleep(POLL_INTERVAL)
            await bot.settle()
            bot_cpu = cpu_seconds(bot.pid) - cpu0
            async with db.session() as session:
                routed = int(
                    await session.scalar(
                        select(func.count()).where(HelpRequest.card_message_id.is_not(None))
                    )
                    or 0
                )
                work = Counter(
                    str(s.value)
                    for s in (
                        await session.scalars(
                            select(DueWork.status).where(DueWork.kind == WorkKind.ROUTE)
                        )
                    ).all()
                )
                retried = int(
                    await session.scalar(
                        select(func.count()).where(
                            DueWork.kind == WorkKind.ROUTE, DueWork.attempts > 1
                        )
                    )
                    or 0
                )
        finally:
            await db.dispose()
            await bot.stop()
            if bot.proc is not None:
                how = "killed" if bot.killed else "exited"
                print(
                    f"  routing: SIGTERM → {how} in {bot.stop_seconds:.2f}s,"
                    f" exit code {bot.returncode}"
                )

        calls = emu.calls(bot=token)  # from the bot's start: a 429 anywhere counts
        group_ids = {chat_id: key for key, chat_id in chats.items()}
        statuses = Counter(str(c.status) for c in calls)
        too_many = [
            (
                c.method,
                str(c.params.get("chat_id")),
                int(re.sub(r"\D", "", c.error or "") or 0),
            )
            for c in calls
            if c.status == 429
        ]
        sends = [c for c in calls if c.ok and c.method.startswith("send")]
        card_times: dict[int, list[float]] = defaultdict(list)
        waits: dict[int, list[float]] = defaultdict(list)
        alerts = 0
        for c in sends:
            chat = int(str(c.params.get("chat_id")))
            if chat in group_ids:
                card_times[chat].append(c.time)
                topic = emu.test_groups[chat].topics.get(
                    int(c.params.get("message_thread_id") or 0)
                )
                number = re.match(r"#(\d+) ", topic.name if topic else "")
                if number and int(number.group(1)) in submitted:
                    waits[chat].append(c.time - submitted[int(number.group(1))])
            else:
                alerts += 1
        topic_calls = [c for c in calls if c.ok and c.method.lower() == "createforumtopic"]
        topics_per_request: Counter[str] = Counter()
        paces = []
        for key, chat_id in chats.items():
            group = emu.test_groups[chat_id]
            for topic in group.topics.values():
                topics_per_request[topic.name.split(" ", 1)[0]] += 1
            paces.append(
                GroupPace(
                    queue=key,
                    chat_id=chat_id,
                    cards=len(card_times[chat_id]),
                    topics=len(group.topics),
                    times=sorted(card_times[chat_id]),
                    waits=waits[chat_id],
                    last_card=max(card_times[chat_id], default=math.nan) - t0,
                )
            )
        all_cards = sorted(t for times in card_times.values() for t in times)
        return RoutingResult(
            waits=[w for ws in waits.values() for w in ws],
            requests=n,
            groups=g,
            routed=routed,
            wall=(all_cards[-1] - t0) if all_cards else math.nan,
            submit_seconds=submit_seconds,
            first_card=(all_cards[0] - t0) if all_cards else math.nan,
            topics_created=len(topic_calls),
            topics_in_groups=sum(p.topics for p in paces),
            duplicate_topics=sum(1 for v in topics_per_request.values() if v > 1),
            cards_sent=len(all_cards),
            alerts_sent=alerts,
            statuses=statuses,
            too_many=too_many,
            violations=[f"{c.method} → {c.status} {c.error}" for c in emu.violations],
            work=work,
            retried=retried,
            paces=paces,
            bot_cpu=bot_cpu,
            timed_out=timed_out,
        )


def print_routing(r: RoutingResult) -> None:
    statuses = r.statuses.items()
    print()
    print(f"routing: {r.requests:,} requests, {r.groups} forum group(s), rate limits on")
    rows = [
        ("requests routed (card placed)", f"{r.routed:,} / {r.requests:,}"),
        ("topics created", f"{r.topics_created:,} (in the groups: {r.topics_in_groups:,})"),
        ("requests with more than one topic", str(r.duplicate_topics)),
        ("cards sent into the groups", f"{r.cards_sent:,}"),
        ("alerts to those on duty", f"{r.alerts_sent:,}"),
        ("submit of all requests", f"{r.submit_seconds:.2f} s"),
        ("first card after", f"{fmt(r.first_card, 2)} s"),
        ("wall time (first submit → last card)", f"{fmt(r.wall, 1)} s"),
        ("routed/min", fmt(r.routed / r.wall * 60 if r.wall > 0 else math.nan, 1)),
        (
            "submit → card p50 / p95 / max",
            " / ".join(fmt(percentile(r.waits, p), 1) for p in (50, 95))
            + f" / {fmt(max(r.waits, default=math.nan), 1)} s",
        ),
        ("429 answers to the bot", f"{len(r.too_many)}  (must be 0)"),
        ("emulator violations", f"{len(r.violations)}  (must be 0)"),
        ("bot calls by HTTP status", ", ".join(f"{k} ×{v:,}" for k, v in sorted(statuses))),
        ("ROUTE items", ", ".join(f"{k} {v:,}" for k, v in sorted(r.work.items()))),
        ("ROUTE items retried", str(r.retried)),
        ("bot CPU per request", f"{fmt(r.bot_cpu * 1000 / max(r.requests, 1), 1)} ms"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
    for method, chat, retry in r.too_many[:5]:
        print(f"  429: {method} to {chat}, retry after {retry}")
    for line in r.violations[:5]:
        print(f"  violation: {line}")
    print()
    header = (
        "queue",
        "group",
        "topics",
        "msgs",
        "msgs/min",
        "after first 20",
        "max in 60 s",
        "wait p50 s",
        "last card s",
        "pacer alone s",
    )
    table = [
        (
            p.queue,
            str(p.chat_id),
            str(p.topics),
            str(p.cards),
            fmt(p.per_min(), 1),
            fmt(p.per_min(GROUP_BURST - 1) if p.cards > GROUP_BURST else math.nan, 1),
            str(p.max_in_60s()),
            fmt(percentile(p.waits, 50), 1),
            fmt(p.last_card, 1),
            fmt(estimate_seconds(p.cards), 0),
        )
        for p in r.paces
    ]
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
    for cells in (header, tuple("-" * w for w in widths), *table):
        print(
            "  "
            + "  ".join(
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    print(
        f"  Telegram's limit: ~{GROUP_LIMIT_PER_MIN:g} messages/min per group (the emulator:"
        f" a bucket of {GROUP_BURST} refilled at {GROUP_LIMIT_PER_MIN:g}/min; the bot's pacer:"
        f" a burst of {PACER_GROUP_BURST}, then one per {PACER_GROUP_INTERVAL:g} s ="
        f" {60 / PACER_GROUP_INTERVAL:.2f}/min). Topic creation is not counted as a message."
    )
    print(
        "  wait = a request's submit → its card; last card = after the first submit;"
        " pacer alone = what the group's own pace needs for its cards (burst, then 3.2 s each)"
    )


# == main ================================================================================

QUICK = {"requests_claims": 200, "specialists": 10, "requests_routing": 25}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/queues.py", description=__doc__.split("\n", 1)[0] if __doc__ else None
    )
    p.add_argument("--only", choices=("claims", "routing"), help="run one part only")
    p.add_argument(
        "--quick",
        action="store_true",
        help="small sizes, under a minute: claims 200 requests × 10 specialists, routing 25",
    )
    p.add_argument(
        "--requests",
        type=int,
        help="requests of each part (default: claims 1000, routing 100)",
    )
    p.add_argument(
        "--specialists", type=int, help="claims: specialists pressing Take at once (default 50)"
    )
    p.add_argument(
        "--processes",
        action="store_true",
        help="claims: each specialist a separate process (default: coroutines of this one)",
    )
    p.add_argument(
        "--one-database",
        action="store_true",
        help="claims: the workers share one Database (one connection, as inside one bot"
        " process) instead of one each",
    )
    p.add_argument(
        "--groups",
        type=int,
        default=1,
        help="routing: forum groups, one per queue of content/queues.toml (default 1)",
    )
    p.add_argument(
        "--on-duty", type=int, default=1, help="routing: specialists on duty per queue (default 1)"
    )
    p.add_argument(
        "--deal",
        choices=("random", "round-robin", "skewed"),
        default="random",
        help="routing: how requests are dealt over the queues, in submit order (default"
        f" random; skewed: {SKEW * 100:.0f}%% to the first queue, the rest round-robin"
        " over the others)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        help="routing: max wait for every card, seconds (default: from the pacer's pace)",
    )
    p.add_argument(
        "--send-rate",
        type=float,
        default=28.0,
        help="routing: SEND_RATE_LIMIT of the bot, messages/s (default 28, the bot's default)",
    )
    p.add_argument("--seed", type=int, default=1, help="random orders and dealing (default 1)")
    p.add_argument(
        "--log-level",
        default="WARNING",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="LOG_LEVEL of the bot process (default WARNING)",
    )
    args = p.parse_args(argv)
    quick = QUICK if args.quick else {}
    args.requests_claims = args.requests or quick.get("requests_claims", 1000)
    args.requests_routing = args.requests or quick.get("requests_routing", 100)
    args.specialists = args.specialists or quick.get("specialists", 50)
    n_queues = len(load_queues().items)
    if args.requests_claims < 1 or args.requests_routing < 1:
        p.error("--requests must be at least 1")
    if args.processes and args.one_database:
        p.error("--processes and --one-database exclude each other")
    if args.specialists < 1:
        p.error("--specialists must be at least 1")
    if not 1 <= args.groups <= n_queues:
        p.error(f"--groups must be 1..{n_queues} (one group per queue of content/queues.toml)")
    if args.on_duty < 0:
        p.error("--on-duty must be 0 or more")
    return args


async def amain_routing(args: argparse.Namespace, tmp: Path) -> RoutingResult:
    task = asyncio.current_task()
    if task is not None:
        with contextlib.suppress(NotImplementedError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run_routing(args, tmp)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    print("bench/queues.py: specialists racing for Take; routing under Telegram's limits")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()},"
        f" aiogram {version('aiogram')}, SQLAlchemy {version('sqlalchemy')},"
        f" aiosqlite {version('aiosqlite')}, SQLite {__import__('sqlite3').sqlite_version}"
    )
    print(f"code: {code_version()}")
    failed = False
    claims: ClaimResult | None = None
    routing: RoutingResult | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-queues-") as tmp:
            if args.only in (None, "claims"):
                try:
                    claims = run_claims(args, Path(tmp))
                    print_claims(claims)
                except BenchError as exc:
                    print(f"FAILED: {exc}")
                    failed = True
            if args.only in (None, "routing"):
                try:
                    routing = asyncio.run(amain_routing(args, Path(tmp)))
                    print_routing(routing)
                except BenchError as exc:
                    print(f"FAILED: {exc}")
                    failed = True
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except asyncio.CancelledError:
        print("terminated", file=sys.stderr)
        return 143
    print()
    if claims is not None and claims.failed:
        failed = True
        print(
            f"FAILED: claims: {claims.won:,} won of {claims.requests:,}, {claims.double_takes}"
            f" double takes, {claims.unassigned} unassigned, {len(claims.errors)} presses"
            " failed" + "".join(f"; {n} × {e}" for e, n in Counter(claims.errors).most_common(2))
        )
    if routing is not None and routing.failed:
        failed = True
        print(
            f"FAILED: routing: {routing.routed:,}/{routing.requests:,} routed,"
            f" {routing.duplicate_topics} with several topics, {routing.cards_sent:,} cards,"
            f" {len(routing.too_many)} × 429, {len(routing.violations)} violations"
        )
    if not failed:
        done = []
        if claims is not None:
            done.append("no double take, no failed press")
        if routing is not None:
            done.append("every request routed once, no 429, no violation")
        print(f"OK: {'; '.join(done)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
