"""The control HTTP API, the standalone server and the terminal chat."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sandbox import Emulator

ROOT = Path(__file__).resolve().parents[2]


async def test_control_api(emu: Emulator, bot: Bot, token: str) -> None:
    base = f"{emu.api_url}/sandbox/api"
    async with aiohttp.ClientSession() as http:

        async def post(path: str, body: dict[str, Any]) -> Any:
            async with http.post(base + path, json=body) as r:
                payload = await r.json()
                assert payload["ok"], payload
                return payload["result"]

        async def get(path: str, **params: str) -> Any:
            async with http.get(base + path, params=params) as r:
                return (await r.json())["result"]

        user = await post("/users", {"first_name": "Вера", "language_code": "ru"})
        uid = user["user_id"]
        assert (await post("/users", {"user_id": uid}))["user_id"] == uid  # re-attach

        await post(f"/users/{uid}/send", {"text": "/start"})
        updates = await bot.get_updates(timeout=0)
        assert updates[-1].message is not None and updates[-1].message.text == "/start"

        waiting = asyncio.create_task(get(f"/users/{uid}/events", after="1", timeout="5"))
        await asyncio.sleep(0.05)
        sent = await bot.send_message(
            uid,
            "Выберите",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="yes")]]
            ),
        )
        events = await asyncio.wait_for(waiting, 3)
        assert events["cursor"] == 2
        assert events["events"][0]["message"]["text"] == "Выберите"

        cb = await post(f"/users/{uid}/click", {"text": "Да"})
        cb2 = await post(
            f"/users/{uid}/click", {"message_id": sent.message_id, "callback_data": "yes"}
        )
        got = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
        assert [u.callback_query.id for u in got if u.callback_query] == [
            cb["callback_query_id"],
            cb2["callback_query_id"],
        ]
        await post(f"/users/{uid}/contact", {"phone": "+70000000000"})

        await post("/faults", {"method": "sendMessage", "status": 429, "retry_after": 2})
        assert len(await get("/faults")) == 1
        async with http.delete(base + "/faults") as r:
            assert r.status == 200
        await post("/latency", {"seconds": 0.05, "method": "getMe"})
        await bot.get_me()
        calls = await get("/calls", method="sendMessage")
        assert calls[-1]["status"] == 200 and calls[-1]["params"]["text"] == "Выберите"
        assert await get("/violations") == []
        info = await get("/")
        assert info["bots"][0]["token"] == token


async def _read_until(stream: asyncio.StreamReader, pattern: str, timeout: float = 5.0) -> str:
    seen = ""
    while not re.search(pattern, seen):
        line = await asyncio.wait_for(stream.readline(), timeout)
        if not line:
            raise AssertionError(f"stream ended before /{pattern}/; got:\n{seen}")
        seen += line.decode()
    return seen


async def test_standalone_server_accepts_any_token() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        out = await _read_until(proc.stdout, r"TELEGRAM_BOT_TOKEN=")
        url = re.search(r"(http://127\.0\.0\.1:\d+)", out)
        assert url is not None
        token = "4242:" + "x" * 35
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{url.group(1)}/bot{token}/getMe") as r,
        ):
            assert (await r.json())["result"]["id"] == 4242
    finally:
        proc.terminate()
        await proc.wait()


async def test_terminal_chat(emu: Emulator, bot: Bot) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.chat",
        "--url",
        emu.api_url,
        "--name",
        "Ира",
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        await _read_until(proc.stdout, "Пишите текст")
        proc.stdin.write("привет\n".encode())
        await proc.stdin.drain()
        updates = await bot.get_updates(timeout=5)
        msg = updates[-1].message
        assert msg is not None and msg.text == "привет"
        await bot.send_message(
            msg.chat.id,
            "Как помочь?",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="Жильё", callback_data="h"),
                        InlineKeyboardButton(text="Еда", callback_data="f"),
                    ]
                ]
            ),
        )
        out = await _read_until(proc.stdout, r"\[2\] Еда")
        assert "Как помочь?" in out
        proc.stdin.write(b":2\n")
        await proc.stdin.drain()
        got = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=5)
        assert got[-1].callback_query is not None and got[-1].callback_query.data == "f"
        await bot.edit_message_text("Принято", chat_id=msg.chat.id, message_id=2)
        await _read_until(proc.stdout, r"\(изменено\): Принято")
        proc.stdin.write(b":q\n")
        await proc.stdin.drain()
        assert await asyncio.wait_for(proc.wait(), 5) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
