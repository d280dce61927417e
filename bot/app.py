"""Factories for the Bot and the Dispatcher, and the two ways to run them.

Nothing is built at import time: __main__, the tests and the benchmarks all assemble the
same app from these functions.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import Update
from aiogram.utils.i18n import I18n
from aiogram.utils.token import extract_bot_id
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.broadcaster import Broadcaster
from bot.config import LOCALES, Settings, instance_owner
from bot.dialogs.bursts import BurstGate
from bot.digest import PLAN_MINUTES, DigestWork
from bot.followups import DRAFT_SCAN_MINUTES, FollowUpWork, remind_drafts
from bot.handlers import build_router
from bot.i18n import LocaleMiddleware, bot_commands, create_i18n
from bot.inline_filters import inline_sync_filters, skip_unmatchable_routers
from bot.middlewares.callbacks import AlwaysAnswerCallbacks, CallbackGuard
from bot.middlewares.chat_log import LogOutgoing, unwritten_of
from bot.middlewares.db import CommitBeforeSend, DbSessionMiddleware
from bot.middlewares.pacing import Pacer, PaceSends, pacer_of
from bot.middlewares.person import PersonMiddleware
from bot.middlewares.pin_types import PinResponseTypes
from bot.middlewares.retry import RetryMiddleware
from bot.ops.health import Health
from bot.ops.http import ops_routes, serve_ops
from bot.ops.metrics import Metrics
from bot.points_work import PointsDesk
from bot.routing import QueueWork
from bot.runner import FatalStartupError, UpdateRunner, call_until_up
from bot.scheduler import create_scheduler, every
from bot.services.assessment import load_assessment
from bot.services.checkins import load_checkins
from bot.services.points import load_points
from bot.services.queues import load_queues
from bot.services.red_flags import load_red_flags
from bot.services.regions import load_regions
from bot.services.services_map import load_services_map
from bot.services.templates import load_templates
from bot.storage import DatabaseStorage
from bot.work import WorkRunner
from db.migrate import head_revision
from db.session import Database, check_database, check_sqlite

if TYPE_CHECKING:
    from bot.shared_pacing import SharedSchedules

logger = logging.getLogger(__name__)

# In-flight updates get this long to finish on SIGTERM; the rest of the 5 s goes to closing.
SHUTDOWN_GRACE = 3.0
# Collections after 20,000 net allocations instead of 700: an update allocates thousands of
# short-lived objects (SQLAlchemy, pydantic), and a young generation collected every few
# hundred cost about 4 % of the CPU per update (bench/updates.py, A/B).
GC_THRESHOLDS = (20_000, 50, 50)
WORK_DRAIN_SECONDS = 1.0  # a tick in progress may finish its batch


def create_bot(settings: Settings, token: str | None = None) -> Bot:
    token = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not token:
        raise ValueError("a bot token is required")
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else AiohttpSession()
    )
    # In this order: commit first, so that neither a retry nor a paced wait holds the
    # database; each retry is paced again.
    session.middleware(PinResponseTypes())
    session.middleware(LogOutgoing())
    session.middleware(CommitBeforeSend())
    session.middleware(RetryMiddleware())
    session.middleware(PaceSends(Pacer(settings.send_rate_limit, shared=_shared(settings, token))))
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def _shared(settings: Settings, token: str) -> SharedSchedules | None:
    """Several processes (REDIS_URL set) keep Telegram's limits together."""
    if not settings.redis_url:
        return None
    from bot.shared_pacing import SharedSchedules

    return SharedSchedules.from_url(settings.redis_url, extract_bot_id(token))


CHAT_LOCK_SECONDS = 20


def fsm_storage(settings: Settings, db: Database) -> dict[str, Any]:
    """Where conversations live. One process: the database, written in the update's own
    transaction. Several processes behind one webhook (REDIS_URL set): aiogram's Redis
    storage, and a per-chat lock in Redis, so that a chat's updates are handled one at a
    time whichever process gets them (the database storage's in-memory copy would go stale)."""
    if not settings.redis_url:
        return {"storage": DatabaseStorage(db), "events_isolation": SimpleEventIsolation()}
    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisStorage

    keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
    storage = RedisStorage.from_url(settings.redis_url, key_builder=keys)
    # A process killed while handling a chat leaves its lock behind until it expires: short
    # enough that the chat goes on soon, long enough for a handler waiting out a 429.
    isolation = storage.create_isolation(lock_kwargs={"timeout": CHAT_LOCK_SECONDS})
    return {"storage": storage, "events_isolation": isolation}


def create_dispatcher(
    settings: Settings, db: Database, *, i18n: I18n | None = None, scheduler: bool = True
) -> Dispatcher:
    i18n = i18n or create_i18n(settings.default_locale)
    dp = Dispatcher(**fsm_storage(settings, db))
    red_flags = load_red_flags()
    regions = load_regions()
    queues = load_queues(regions=regions)
    checkin_plans = load_checkins()
    # Durable work (routing, SLA reminders); its handlers need the Bot, given at start-up.
    work = WorkRunner(db, {}, owner=instance_owner(settings))
    metrics = Metrics(db)
    dp.workflow_data.update(
        settings=settings,
        db=db,
        i18n=i18n,
        bursts=BurstGate(),
        red_flags=red_flags,
        regions=regions,
        services_map=load_services_map(regions=regions),
        assessment=load_assessment(red_flag_names=red_flags.flags),
        queues=queues,
        points=load_points(regions=regions, queues=queues),
        templates=load_templates(queues=queues),
        checkin_plans=checkin_plans,
        work=work,
        metrics=metrics,
    )

    dp.update.outer_middleware(metrics.middleware())  # first: its time covers the others
    dp.update.outer_middleware(DbSessionMiddleware(db))
    dp.update.outer_middleware(PersonMiddleware(settings.admin_ids))
    dp.update.outer_middleware(LocaleMiddleware(i18n))
    # Outer, so that even a button no handler takes is answered, and checked before any is.
    dp.callback_query.outer_middleware(AlwaysAnswerCallbacks())
    dp.callback_query.outer_middleware(CallbackGuard())
    dp.include_router(build_router())

    jobs = create_scheduler(db, work) if scheduler else None

    async def on_startup(bot: Bot) -> None:
        metrics.watch_bot(bot)
        if (unwritten := unwritten_of(bot)) is not None:
            unwritten.bind(db)  # sent message ids are then written right after each send
        broadcaster = Broadcaster(bot, db, i18n, settings)
        dp["broadcaster"] = broadcaster
        if await broadcaster.recover():
            logger.info("broadcast sends in flight at the last stop are reported unknown")
        desk = PointsDesk(bot, i18n, settings, dp["points"], queues)
        dp["points_desk"] = desk
        work.handlers.update(desk.handlers())
        routing = QueueWork(bot, i18n, settings, queues, regions, after_card=desk.post_card)
        work.handlers.update(routing.handlers())
        followups = FollowUpWork(bot, db, i18n, settings, checkin_plans)
        work.handlers.update(followups.handlers())
        work.batch_handlers.update(followups.batch_handlers())
        digest = DigestWork(bot, db, i18n, settings, regions)
        work.handlers.update(digest.handlers())
        dp["digest"] = digest
        await digest.plan()
        await set_commands(bot, i18n, settings.default_locale)
        if await work.recover():
            logger.info("due work of the previous run is due again")
        if jobs is not None:
            every(jobs, broadcaster.kick, seconds=1, job_id="broadcasts")
            every(jobs, remind_drafts, db, bot, i18n, settings, checkin_plans,
                  minutes=DRAFT_SCAN_MINUTES)  # fmt: skip
            every(jobs, digest.plan, minutes=PLAN_MINUTES, first_in=timedelta(minutes=1))
            jobs.start()

    async def on_shutdown(bot: Bot) -> None:
        if jobs is not None and jobs.running:
            jobs.shutdown(wait=False)
        await work.drain(WORK_DRAIN_SECONDS)
        if "broadcaster" in dp.workflow_data:
            await dp["broadcaster"].drain(WORK_DRAIN_SECONDS)
        if (unwritten := unwritten_of(bot)) is not None:
            await unwritten.close()
        if (pacer := pacer_of(bot)) is not None and pacer.shared is not None:
            await pacer.shared.close()

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    inline_sync_filters(dp)
    skip_unmatchable_routers(dp)
    return dp


async def freeze_startup_heap() -> None:
    """Exempt what start-up built from the garbage collector's full passes.

    aiogram's pydantic models are a few hundred thousand objects that live forever; every
    full collection walked them again, a 150-200 ms pause that showed as the p99 latency
    under load (bench/updates.py). Objects created later are collected as usual, less often
    (GC_THRESHOLDS). Registered last among the start-up hooks of a real run (not in tests,
    which share one process).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def set_commands(bot: Bot, i18n: I18n, default_locale: str) -> None:
    """The command menu in each language, and the default one for other phones."""
    try:
        await bot.set_my_commands(bot_commands(i18n, default_locale))
        for locale in LOCALES:
            await bot.set_my_commands(bot_commands(i18n, locale), language_code=locale)
    except TelegramAPIError as exc:
        logger.warning("could not set the command menu: %s", type(exc).__name__)


def create_runner(settings: Settings, bot: Bot, dp: Dispatcher, db: Database) -> UpdateRunner:
    return UpdateRunner(
        dp,
        bot,
        db,
        workers=settings.max_concurrent_updates,
        grace=SHUTDOWN_GRACE,
        adopt_after=settings.adopt_updates_after,
    )


def create_ops(
    settings: Settings, dp: Dispatcher, db: Database, runner: UpdateRunner
) -> list[web.RouteDef]:
    """/healthz and /metrics of this runner's app."""
    metrics: Metrics = dp["metrics"]
    metrics.watch_runner(runner)
    return ops_routes(metrics, Health(db, runner, redis_url=settings.redis_url))


async def start_ops_server(
    settings: Settings, dp: Dispatcher, db: Database, runner: UpdateRunner
) -> web.AppRunner | None:
    """Polling mode's /healthz and /metrics, when METRICS_PORT is set."""
    if settings.metrics_port is None:
        return None
    routes = create_ops(settings, dp, db, runner)
    try:
        server = await serve_ops(settings.metrics_host, settings.metrics_port, routes)
    except OSError as exc:
        raise FatalStartupError(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port}: "
            f"{exc.strerror or type(exc).__name__} (METRICS_HOST / METRICS_PORT)"
        ) from None
    logger.info("health and metrics on http://%s:%s", settings.metrics_host, settings.metrics_port)
    return server


async def run_polling(settings: Settings, token: str | None = None) -> None:
    check_sqlite(settings.database_url, head_revision())
    db = Database(settings.database_url)
    ops: web.AppRunner | None = None
    try:
        await check_database(db, head_revision())
        bot = create_bot(settings, token)
        dp = create_dispatcher(settings, db)
        dp.startup.register(freeze_startup_heap)
        runner = create_runner(settings, bot, dp, db)
        ops = await start_ops_server(settings, dp, db, runner)
        await runner.run_polling()
    finally:
        if ops is not None:
            await ops.cleanup()
        await db.dispose()


def webhook_secret(settings: Settings) -> str:
    if settings.webhook_secret:
        return settings.webhook_secret.get_secret_value()
    # Stable across restarts and never the token itself.
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    return hashlib.sha256(f"webhook:{token}".encode()).hexdigest()[:48]


def create_webhook_app(
    settings: Settings, bot: Bot, dp: Dispatcher, db: Database
) -> web.Application:
    """Telegram's POST gets its 200 once the update is stored; workers handle it from there."""
    assert settings.webhook_url
    secret = webhook_secret(settings).encode()
    runner = create_runner(settings, bot, dp, db)
    app = web.Application()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode()
        if not hmac.compare_digest(given, secret):
            return web.Response(status=401)
        if runner.queue.full:
            return web.Response(status=503)  # Telegram retries later; nothing is lost
        try:
            update = Update.model_validate_json(await request.read(), context={"bot": bot})
        except ValidationError:
            return web.Response(status=400)
        try:
            await runner.accept([update])
        except SQLAlchemyError as exc:
            logger.error("could not store update %s: %s", update.update_id, type(exc).__name__)
            return web.Response(status=500)  # not durable: Telegram must send it again
        return web.json_response({})

    async def on_startup(_: web.Application) -> None:
        await runner.prepare()
        await call_until_up(
            lambda: bot.set_webhook(
                settings.webhook_url or "",
                secret_token=secret.decode(),
                allowed_updates=dp.resolve_used_update_types(),
                max_connections=settings.max_concurrent_updates,
            ),
            "setWebhook",
        )
        runner.start_workers()

    async def on_cleanup(_: web.Application) -> None:
        await runner.stop_workers()
        await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)
        await bot.session.close()
        await db.dispose()

    app.router.add_post(settings.webhook_path, receive)
    # The TLS proxy forwards only the webhook's path: these stay on the private network.
    app.add_routes(create_ops(settings, dp, db, runner))
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


async def _check_storage(url: str) -> None:
    db = Database(url)
    try:
        await check_database(db, head_revision())
    finally:
        await db.dispose()


def run_webhook(settings: Settings) -> None:
    check_sqlite(settings.database_url, head_revision())
    asyncio.run(_check_storage(settings.database_url))
    db = Database(settings.database_url)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db)
    dp.startup.register(freeze_startup_heap)
    app = create_webhook_app(settings, bot, dp, db)
    web.run_app(
        app,
        host=settings.webhook_listen_host,
        port=settings.webhook_listen_port,
        shutdown_timeout=SHUTDOWN_GRACE,
        print=None,
    )
