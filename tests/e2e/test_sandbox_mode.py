"""`make run` with no BOT_TOKEN: the emulator, its web chat and the bot come up together; the
first line printed is the web chat's address."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.sandbox_seed import CAST
from bot.services.queues import load_queues
from db.models import Person, QueueLink, Role
from db.session import Database
from tests.conftest import env_for
from tests.e2e.conftest import ROOT
from tests.helpers import until


async def test_run_without_a_token_starts_the_sandbox(tmp_path: Path, free_port: int) -> None:
    port = free_port
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path}/sandbox.db"
    env = env_for(
        SANDBOX_PORT=str(port), SANDBOX_DIR=str(tmp_path), SANDBOX_DATABASE_URL=sandbox_db
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--migrate",
        cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        banner = ""
        async with asyncio.timeout(30):
            while "sandbox.chat" not in banner:
                line = await proc.stdout.readline()
                assert line, f"the sandbox exited:\n{banner}"
                banner += line.decode()
        assert banner.splitlines()[0] == f"http://127.0.0.1:{port}/", banner

        control = f"http://127.0.0.1:{port}/sandbox/api"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/") as page:
                assert page.status == 200 and "песочница" in await page.text()
            user = await (
                await http.post(
                    f"{control}/users", json={"first_name": "Оля", "language_code": "ru"}
                )
            ).json()
            user_id = user["result"]["user_id"]
            cursor, texts = 0, []
            async with asyncio.timeout(20):
                await http.post(f"{control}/users/{user_id}/send", json={"text": "/start"})
                while not any("Выберите" in t for t in texts):
                    events = await (
                        await http.get(
                            f"{control}/users/{user_id}/events",
                            params={"after": cursor, "timeout": 5},
                        )
                    ).json()
                    cursor = events["result"]["cursor"]
                    texts += [str(e["message"].get("text")) for e in events["result"]["events"]]
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 10)


async def _sandbox(env: dict[str, str]) -> asyncio.subprocess.Process:
    """`python -m bot sandbox`, once it has printed its address."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        assert (await proc.stdout.readline()).startswith(b"http://127.0.0.1:")
    return proc


async def _stop(proc: asyncio.subprocess.Process) -> None:
    proc.terminate()
    await asyncio.wait_for(proc.wait(), 15)


async def test_the_sandbox_is_set_up_keeps_its_world_and_starts_over_on_reset(
    tmp_path: Path, free_port: int
) -> None:
    port = free_port
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path}/sandbox.db"
    env = env_for(
        SANDBOX_PORT=str(port), SANDBOX_DIR=str(tmp_path), SANDBOX_DATABASE_URL=sandbox_db
    )
    api, anna = f"http://127.0.0.1:{port}/web/api", CAST[0].user_id

    async def texts(http: aiohttp.ClientSession) -> list[str]:
        async with http.get(f"{api}/history", params={"user": str(anna)}) as r:
            return [m["text"] for m in (await r.json())["messages"]]

    async def greeted(http: aiohttp.ClientSession) -> None:
        await http.post(f"{api}/send", json={"user": anna, "text": "/start"})
        await until(lambda: _has(texts(http), "Выберите"), timeout=20, what="the greeting")

    proc = await _sandbox(env)
    try:
        async with aiohttp.ClientSession() as http:
            await greeted(http)
            db = Database(sandbox_db)
            try:
                async with db.session() as session:
                    links = (await session.scalars(select(QueueLink))).all()
                    staff = (await session.scalars(select(Person.role))).all()
            finally:
                await db.dispose()
            assert {link.queue_key for link in links} == {q.key for q in load_queues().items}
            assert len({link.chat_id for link in links}) == 2 and all(lk.forum for lk in links)
            assert sorted(r.value for r in staff if r is not Role.PARENT) == [
                "admin", "coordinator", "specialist", "specialist",
            ]  # fmt: skip
            await _stop(proc)
            proc = await _sandbox(env)
            kept = await texts(http)
            assert kept[0] == "/start" and any("Выберите" in t for t in kept)
            await http.post(f"{api}/reset", json={})
            assert await texts(http) == []
            await greeted(http)  # a new database: the bot greets her as a newcomer again
    finally:
        await _stop(proc)


async def _has(texts: Awaitable[list[str]], part: str) -> bool:
    return any(part in t for t in await texts)
