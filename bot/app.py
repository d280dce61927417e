"""Factories for the Bot and the Dispatcher, and the two ways to run them.

Nothing is built at import time: __main__, the tests and the benchmarks all assemble the
same app from these functions.
"""

from __future__ import annotations

import gc
import hashlib
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.i18n import I18n
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.config import LOCALES, Settings
from bot.dispatcher import TrackingDispatcher
from bot.handlers import build_router
from bot.i18n import LocaleMiddleware, bot_commands, create_i18n
from bot.middlewares.callbacks import AlwaysAnswerCallbacks
from bot.middlewares.db import CommitBeforeSend, DbSessionMiddleware
from bot.middlewares.person import PersonMiddleware
from bot.middlewares.pin_types import PinResponseTypes
from bot.middlewares.retry import RetryMiddleware
from bot.scheduler import create_scheduler
from bot.storage import DatabaseStorage
from db.session import Database

logger = logging.getLogger(__name__)

# In-flight updates get this long to finish on SIGTERM; the rest of the 5 s goes to closing.
SHUTDOWN_GRACE = 3.0


def create_bot(settings: Settings, token: str | None = None) -> Bot:
    token = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not token:
        raise ValueError("a bot token is required")
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else AiohttpSession()
    )
    session.middleware(PinResponseTypes())
    session.middleware(CommitBeforeSend())
    session.middleware(RetryMiddleware())
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_dispatcher(
    settings: Settings, db: Database, *, i18n: I18n | None = None, scheduler: bool = True
) -> Dispatcher:
    i18n = i18n or create_i18n(settings.default_locale)
    dp = TrackingDispatcher(storage=DatabaseStorage(db), events_isolation=SimpleEventIsolation())
    dp.workflow_data.update(settings=settings, db=db, i18n=i18n)

    dp.update.outer_middleware(DbSessionMiddleware(db))
    dp.update.outer_middleware(PersonMiddleware(settings.admin_ids))
    dp.update.outer_middleware(LocaleMiddleware(i18n))
    dp.callback_query.middleware(AlwaysAnswerCallbacks())
    dp.include_router(build_router())

    jobs = create_scheduler(db) if scheduler else None

    async def on_startup(bot: Bot) -> None:
        await set_commands(bot, i18n, settings.default_locale)
        if jobs is not None:
            jobs.start()

    async def on_shutdown() -> None:
        if not await dp.wait_idle(SHUTDOWN_GRACE):
            logger.warning("shutdown: %d updates still running were cut off", dp.in_flight)
        if jobs is not None and jobs.running:
            jobs.shutdown(wait=False)

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    return dp


async def freeze_startup_heap() -> None:
    """Exempt what start-up built from the garbage collector's full passes.

    aiogram's pydantic models are a few hundred thousand objects that live forever; every
    full collection walked them again, a 150-200 ms pause that showed as the p99 latency
    under load (bench/updates.py). Objects created later are collected as usual. Registered
    last among the start-up hooks of a real run (not in tests, which share one process).
    """
    gc.collect()
    gc.freeze()


async def set_commands(bot: Bot, i18n: I18n, default_locale: str) -> None:
    """The command menu in each language, and the default one for other phones."""
    try:
        await bot.set_my_commands(bot_commands(i18n, default_locale))
        for locale in LOCALES:
            await bot.set_my_commands(bot_commands(i18n, locale), language_code=locale)
    except TelegramAPIError as exc:
        logger.warning("could not set the command menu: %s", type(exc).__name__)


async def run_polling(settings: Settings, token: str | None = None) -> None:
    db = Database(settings.database_url)
    bot = create_bot(settings, token)
    dp = create_dispatcher(settings, db)
    dp.startup.register(freeze_startup_heap)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await dp.start_polling(
            bot,
            handle_signals=True,
            close_bot_session=True,
            tasks_concurrency_limit=settings.max_concurrent_updates,
        )
    finally:
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
    assert settings.webhook_url
    secret = webhook_secret(settings)
    app = web.Application()
    # Handled within the request: Telegram's max_connections is then the backpressure.
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    ).register(app, path=settings.webhook_path)

    async def register_webhook(bot: Bot, **_: Any) -> None:
        await bot.set_webhook(
            settings.webhook_url or "",
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            max_connections=settings.max_concurrent_updates,
        )

    async def close_db(_: web.Application) -> None:
        await db.dispose()

    dp.startup.register(register_webhook)
    setup_application(app, dp, bot=bot)
    app.on_cleanup.append(close_db)
    return app


def run_webhook(settings: Settings) -> None:
    db = Database(settings.database_url)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db)
    app = create_webhook_app(settings, bot, dp, db)
    dp.startup.register(freeze_startup_heap)
    web.run_app(
        app,
        host=settings.webhook_listen_host,
        port=settings.webhook_listen_port,
        shutdown_timeout=SHUTDOWN_GRACE,
        print=None,
    )
