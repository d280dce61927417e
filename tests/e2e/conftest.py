"""Layer 3: the real bot process (`python -m bot run`) polling the emulator over loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from db.session import Database
from sandbox import Emulator
from tests import servers
from tests.conftest import env_for
from tests.helpers import until

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """One `python -m bot run`; can be stopped, killed and started again on the same data."""

    def __init__(self, env: dict[str, str], log_path: Path, emu: Emulator) -> None:
        self.env = env
        self.log_path = log_path
        self.emu = emu
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self, *args: str, wait: bool = True) -> None:
        """Start the process; with `wait`, return once it has asked the Bot API who it is."""
        seen = len(self.emu.calls("getMe"))
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", *args,
            cwd=ROOT, env=self.env, stdout=log, stderr=log,
        )  # fmt: skip
        log.close()
        proc = self.proc
        if not wait:
            return
        await until(
            lambda: len(self.emu.calls("getMe")) > seen or proc.returncode is not None,
            timeout=30,
            what="the bot process to start polling",
        )
        assert proc.returncode is None, f"the bot exited early:\n{self.log()}"

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> float:
        """Signal the process and wait for it; returns how long it took to exit."""
        assert self.proc is not None
        started = time.monotonic()
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        await asyncio.wait_for(self.proc.wait(), timeout=20)
        return time.monotonic() - started

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def free_port() -> int:
    return servers.free_port()


@pytest.fixture
def bot_env(emu: Emulator, db_url: str) -> dict[str, str]:
    env = env_for(
        BOT_TOKEN=emu.default_token,
        TELEGRAM_API_URL=emu.api_url,
        DATABASE_URL=db_url,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.pop("WEBHOOK_URL", None)
    return env


@pytest.fixture
async def spawn(
    emu: Emulator, db: Database, bot_env: dict[str, str], tmp_path: Path
) -> AsyncIterator[Callable[..., BotProcess]]:
    """Bot processes with the test's settings (plus overrides); all are killed at the end."""
    made: list[BotProcess] = []

    def make(**overrides: str) -> BotProcess:
        process = BotProcess({**bot_env, **overrides}, tmp_path / f"bot{len(made)}.log", emu)
        made.append(process)
        return process

    yield make
    for process in made:
        if process.proc is not None and process.proc.returncode is None:
            process.proc.kill()
            await process.proc.wait()
        if os.environ.get("E2E_SHOW_LOG"):
            print(process.log())
    assert emu.violations == [], "the bot made calls that Telegram would reject"


@pytest.fixture
async def bot_process(spawn: Callable[..., BotProcess]) -> BotProcess:
    process = spawn()
    await process.start()
    return process
