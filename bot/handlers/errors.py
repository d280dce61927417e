"""One place where failures of handlers end: logged without personal data, answered politely."""

from __future__ import annotations

import logging
import traceback

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.dialogs import onboarding as ob
from bot.i18n import resolve_locale
from bot.ops.metrics import Metrics
from bot.services import people
from db.repositories import PeopleRepo
from db.session import Database

logger = logging.getLogger(__name__)


def _where(exc: BaseException) -> str:
    # File/line/function only: an exception's message may quote what a family wrote.
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " <- ".join(
        f"{f.name}@{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in reversed(frames)
    )


async def on_error(
    event: ErrorEvent,
    bot: Bot,
    db: Database,
    i18n: I18n,
    settings: Settings,
    metrics: Metrics | None = None,
    inbox_retry: bool = False,
) -> None:
    update = event.update
    exc = event.exception
    if metrics is not None:
        metrics.note_error(exc)
    query = update.callback_query
    message = update.message or (query.message if query else None)
    user = update.message.from_user if update.message else (query.from_user if query else None)

    if isinstance(exc, TelegramForbiddenError):
        logger.info("update %s: the person blocked the bot", update.update_id)
        if user is not None:
            async with db.session() as session, session.begin():
                person = await PeopleRepo(session).by_telegram_id(user.id)
                if person is not None:
                    people.mark_unreachable(person)
        return

    logger.error("update %s failed: %s at %s", update.update_id, type(exc).__name__, _where(exc))
    if message is None or message.chat.type != "private" or user is None:
        return
    if inbox_retry:
        return  # a retry of an update whose first try was already apologised for
    async with db.session() as session:
        person = await PeopleRepo(session).by_telegram_id(user.id)
    locale = resolve_locale(person, user, settings.default_locale)
    with i18n.context(), i18n.use_locale(locale):
        text = ob.error_text(settings)
    try:
        await bot.send_message(message.chat.id, text)
    except TelegramAPIError as send_exc:
        logger.warning("could not tell the person about the failure: %s", type(send_exc).__name__)


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router
