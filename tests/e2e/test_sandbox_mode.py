"""`make run` with no BOT_TOKEN: the emulator, its web chat and the bot come up together; the
first line printed is the web chat's address."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp

from tests.conftest import env_for
from tests.e2e.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_without_a_token_starts_the_sandbox(tmp_path: Path) -> None:
    port = _free_port()
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
