"""The sandbox as `make run` starts it (`python -m bot sandbox`, its own data folder), and
Debian's Chromium driven by Playwright, headless."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import env_for
from tests.e2e.conftest import ROOT
from tests.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
# As root (CI) Chromium needs --no-sandbox; the rest keep it off this machine's closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def sandbox_url(tmp_path: Path) -> AsyncIterator[str]:
    """The web chat's address: the first line the sandbox prints."""
    env = env_for(
        SANDBOX_PORT=str(free_port()),
        SANDBOX_DIR=str(tmp_path),
        SANDBOX_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/sandbox.db",
    )
    log = (tmp_path / "sandbox.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=log,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(30):
            first = (await proc.stdout.readline()).decode().strip()
        assert first.startswith("http://127.0.0.1:"), first
        yield first
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 15)
        log.close()


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Debian's chromium is not installed (`make chromium` installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()
