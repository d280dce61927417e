"""The real process in polling mode with METRICS_PORT: /healthz and /metrics on loopback."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from sandbox import Emulator
from tests.e2e.conftest import BotProcess
from tests.helpers import until


async def _get(url: str) -> tuple[int, str] | None:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status, await response.text()
    except aiohttp.ClientConnectionError:
        return None  # not listening yet


async def test_polling_serves_health_and_metrics_on_the_metrics_port(
    emu: Emulator, spawn: Callable[..., BotProcess], free_port: int
) -> None:
    bot = spawn(METRICS_PORT=str(free_port))
    await bot.start()
    base = f"http://127.0.0.1:{free_port}"
    user = emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose", timeout=30)

    status, body = await until(lambda: _get(f"{base}/healthz"), what="/healthz")
    assert status == 200, body
    assert '"status": "ok"' in body

    status, body = await until(lambda: _get(f"{base}/metrics"), what="/metrics")
    assert status == 200
    names = {family.name for family in text_string_to_metric_families(body)}
    assert {"bot_updates", "bot_update_duration_seconds", "bot_due_work_items"} <= names
    assert "health and metrics on http://127.0.0.1:" in bot.log()
    assert "Traceback" not in bot.log()
