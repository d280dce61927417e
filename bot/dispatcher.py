"""A Dispatcher that knows which updates are still being handled, for a graceful shutdown."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update


class TrackingDispatcher(Dispatcher):
    """Counts updates from the moment they enter `feed_update`, the one door that polling
    and webhooks share, so that shutdown waits for those still inside aiogram's own
    middlewares (FSM, event isolation) too."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        self.in_flight += 1
        self._idle.clear()
        try:
            return await super().feed_update(bot, update, **kwargs)
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        await asyncio.sleep(0)  # tasks created just before the stop get to enter feed_update
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
