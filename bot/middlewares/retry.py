"""Outgoing calls survive Telegram's back-pressure and brief outages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

logger = logging.getLogger(__name__)

# Set by a sender that handles Telegram's back-pressure itself (the broadcaster pauses all
# its sending on a 429, not just the one call).
own_backoff: ContextVar[bool] = ContextVar("own_backoff", default=False)


class RetryMiddleware(BaseRequestMiddleware):
    """429: wait `retry_after`, then go on. 5xx and network errors: a few tries with backoff.

    Waits are capped so a person is not left hanging for minutes; past the cap the error
    reaches the error handler. Polling has its own backoff in aiogram and is left alone.
    """

    def __init__(self, attempts: int = 3, max_wait: float = 30.0, base_delay: float = 0.5) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.base_delay = base_delay
        # Told of every 429 that passes, waited here or not (the metrics count them).
        self.on_retry_after: Callable[[str, float], None] | None = None

    def _noted(self, method: str, exc: TelegramRetryAfter) -> None:
        if self.on_retry_after is not None:
            self.on_retry_after(method, float(exc.retry_after))

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if method.__api_method__ == GetUpdates.__api_method__ or own_backoff.get():
            # The poller and the broadcaster wait out a 429 themselves.
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                self._noted(method.__api_method__, exc)
                raise
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                self._noted(method.__api_method__, exc)
                if attempt >= self.attempts or exc.retry_after > self.max_wait:
                    raise
                logger.warning(
                    "%s: flood control, waiting %ss", method.__api_method__, exc.retry_after
                )
                await asyncio.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt >= self.attempts:
                    raise
                delay = self.base_delay * 2 ** (attempt - 1)
                logger.warning(
                    "%s: %s, retrying in %.1fs", method.__api_method__, type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
            attempt += 1


def retry_middleware_of(bot: Bot) -> RetryMiddleware | None:
    for middleware in bot.session.middleware:
        if isinstance(middleware, RetryMiddleware):
            return middleware
    return None
