from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.config import Settings, load_settings
from sandbox import Emulator, TestUser


async def until(
    condition: Callable[[], Any | Awaitable[Any]], *, timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Await a condition without fixed sleeps: re-check on each loop turn, give up after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value) or isinstance(value, Awaitable):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


def bot_settings(emu: Emulator, db_url: str, **extra: Any) -> Settings:
    """Settings of a bot that talks to the emulator and keeps its data in `db_url`."""
    return load_settings(
        database_url=db_url, telegram_api_url=emu.api_url, bot_token=emu.default_token, **extra
    )


async def onboard(user: TestUser) -> None:
    """Walk a new English-speaking user through onboarding to the menu (the optional
    questions skipped, no news)."""
    await user.send("/start")
    await user.wait_message("Please choose")
    await user.click("English")
    await user.wait_message("Do you agree")
    await user.click("I agree")
    await user.wait_message("Thank you for your trust")
    await user.click("Irkutsk Oblast")
    await user.wait_message("Which town or district")
    await user.click("Skip")
    await user.wait_message("How old are your children")
    await user.click("Skip")
    await user.wait_message("Would you like news")
    await user.click("No, thank you")
    await user.wait_message("How can we help")
