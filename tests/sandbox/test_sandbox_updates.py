"""getUpdates long polling, offsets, conflicts and webhooks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiohttp import web

from sandbox import Emulator, TestUser


async def test_long_poll_delivers_and_offset_confirms(bot: Bot, anna: TestUser) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await anna.send("/start")
    updates = await asyncio.wait_for(poll, 2)
    assert len(updates) == 1
    msg = updates[0].message
    assert msg is not None and msg.text == "/start" and msg.from_user is not None
    assert msg.entities is not None and msg.entities[0].type == "bot_command"
    # Not confirmed yet: delivered again; confirmed by offset: gone.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [updates[0].update_id]
    await anna.send("второе")
    rest = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["второе"]
    assert rest[0].update_id > updates[0].update_id
    assert await bot.get_updates(offset=rest[0].update_id + 1, timeout=0) == []


async def test_limit_and_allowed_updates(bot: Bot, anna: TestUser) -> None:
    for i in range(5):
        await anna.send(str(i))
    assert len(await bot.get_updates(limit=2, timeout=0)) == 2
    anna.block()
    got = await bot.get_updates(allowed_updates=["my_chat_member"], timeout=0)
    assert [u.my_chat_member is not None for u in got] == [True]


async def test_second_poller_terminates_first(bot: Bot, emu: Emulator) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    second.cancel()


async def test_webhook_delivery(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    received: asyncio.Queue[tuple[dict[str, Any], str | None]] = asyncio.Queue()
    fail_first = [True]

    async def hook(request: web.Request) -> web.Response:
        if fail_first[0]:  # the emulator must retry a failed delivery
            fail_first[0] = False
            return web.Response(status=500)
        await received.put(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        await anna.send("через вебхук")
        update, secret = await asyncio.wait_for(received.get(), 3)
        assert secret == "s3cret" and update["message"]["text"] == "через вебхук"
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert info.last_error_message
        await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).url == ""
        await anna.send("снова поллинг")
        got = await bot.get_updates(timeout=0)
        assert [u.message.text for u in got if u.message] == ["снова поллинг"]
    finally:
        await runner.cleanup()


async def test_update_json_is_plain_telegram(emu: Emulator, token: str, anna: TestUser) -> None:
    status, body = await emu.call(token, "getUpdates", {"timeout": "0"})
    assert status == 200 and body["result"] == []
    await anna.send("hi")
    status, body = await emu.call(token, "getUpdates", {})
    update = body["result"][0]
    json.dumps(update)  # serialisable
    assert set(update) == {"update_id", "message"}
    assert {"message_id", "from", "chat", "date", "text"} <= set(update["message"])
