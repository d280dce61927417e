"""Webhook mode: Telegram POSTs updates to the bot's aiohttp server behind a TLS proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_bot, create_dispatcher, create_webhook_app, webhook_secret
from db.session import Database
from sandbox import Emulator
from tests.helpers import bot_settings


@pytest.fixture
async def webhook_server(
    emu: Emulator, db: Database, db_url: str
) -> AsyncIterator[tuple[str, str]]:
    settings = bot_settings(emu, db_url, webhook_url="https://bot.example.org/tg/hook")
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db, scheduler=False)
    app = create_webhook_app(settings, bot, dp, Database(db_url))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/tg/hook", webhook_secret(settings)
    await runner.cleanup()


async def test_webhook_mode_registers_and_answers(
    emu: Emulator, webhook_server: tuple[str, str]
) -> None:
    local_url, secret = webhook_server
    registered = emu.calls("setWebhook")[-1].params
    assert registered["url"] == "https://bot.example.org/tg/hook"
    assert registered["secret_token"] == secret
    assert "message" in registered["allowed_updates"]
    assert "callback_query" in registered["allowed_updates"]

    # The TLS proxy in front of the bot: Telegram's calls reach the local port.
    status, _ = await emu.call(
        emu.default_token, "setWebhook", {"url": local_url, "secret_token": secret}
    )
    assert status == 200
    user = emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose")
    await user.click("English")
    await user.wait_message("Do you agree")

    async with aiohttp.ClientSession() as http:
        forged = await http.post(local_url, json={"update_id": 1}, headers={
            "X-Telegram-Bot-Api-Secret-Token": "wrong"
        })  # fmt: skip
        assert forged.status == 401
    assert emu.violations == []
