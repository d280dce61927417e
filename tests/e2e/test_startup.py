"""Start-up: a Bot API outage is waited out, a wrong token and unusable storage stop at once
with one clear line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sandbox import Emulator
from tests.e2e.conftest import ROOT, BotProcess
from tests.helpers import until


async def test_a_bot_api_outage_at_start_is_waited_out(
    emu: Emulator, spawn: Callable[..., BotProcess]
) -> None:
    emu.faults.inject(None, status=500, times=None)  # every call fails while Telegram is down
    bot = spawn()
    await bot.start()
    await until(lambda: bot.log().count("Bot API unavailable") >= 2, timeout=20, what="retries")
    emu.faults.clear()
    user = emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose", timeout=30)
    assert bot.proc is not None and bot.proc.returncode is None
    assert "Traceback" not in bot.log()


async def test_a_bot_api_that_refuses_connections_is_waited_for(
    spawn: Callable[..., BotProcess], free_port: int
) -> None:
    bot = spawn(TELEGRAM_API_URL=f"http://127.0.0.1:{free_port}")
    await bot.start(wait=False)
    await until(lambda: "Bot API unavailable" in bot.log(), timeout=20, what="a retry")
    async with Emulator(port=free_port) as late:  # Telegram comes back
        late.add_bot(token=bot.env["BOT_TOKEN"], username="semya_test_bot")
        user = late.add_user(language_code="en")
        await user.send("/start")
        await user.wait_message("Please choose", timeout=40)
    assert "Traceback" not in bot.log()


async def test_a_wrong_token_stops_at_once_with_one_line(
    emu: Emulator, spawn: Callable[..., BotProcess]
) -> None:
    bot = spawn(BOT_TOKEN="123456789:" + "A" * 35)  # well formed, unknown to Telegram
    await bot.start(wait=False)
    assert bot.proc is not None
    code = await asyncio.wait_for(bot.proc.wait(), timeout=30)
    assert code == 2
    log = bot.log()
    assert "rejected BOT_TOKEN (401 Unauthorized)" in log
    assert "Traceback" not in log
    assert {c.status for c in emu.violations} == {401}  # the point of this test
    emu.log.violations.clear()


@contextmanager
def small_file_system(path: Path, *options: str) -> Iterator[Path]:
    """A tmpfs of its own: read-only, or so small that it fills up (root only)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(path)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _fill(directory: Path) -> None:
    with (directory / "filler").open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


async def _command(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(errors="replace")


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _migrate_on(env: dict[str, str], path: Path) -> Any:
    return _command({**env, "DATABASE_URL": _url(path)}, "migrate")


def _run_on(env: dict[str, str], path: Path) -> Any:
    return _command({**env, "DATABASE_URL": _url(path)}, "run")


async def test_storage_that_cannot_work_stops_migrate_and_run_with_one_line(
    tmp_path: Path, bot_env: dict[str, str]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    with (
        small_file_system(tmp_path / "ro", "ro", "size=64k") as read_only,
        small_file_system(tmp_path / "full", "size=2m") as full,
    ):
        migrated_then_full = full / "bot.db"
        code, out = await _command({**bot_env, "DATABASE_URL": _url(migrated_then_full)}, "migrate")
        assert code == 0, out
        _fill(full)
        cases = [
            ("a directory it cannot write", _url(read_only / "data" / "bot.db"), "Read-only"),
            ("a file it cannot create", _url(read_only / "bot.db"), "unable to open"),
            ("a file that is not a database", _url(junk), "not a database"),
        ]
        runs = [
            (what, command, needle, _command({**bot_env, "DATABASE_URL": url}, command))
            for what, url, needle in cases
            for command in ("migrate", "run")
        ]
        runs += [
            ("a full disk", "migrate", "full", _migrate_on(bot_env, full / "new.db")),
            ("a full disk", "run", "disk", _run_on(bot_env, migrated_then_full)),
        ]
        results = await asyncio.gather(*(run for *_, run in runs))
    for (what, command, needle, _), (code, out) in zip(runs, results, strict=True):
        errors = [line for line in out.splitlines() if line.startswith("database error:")]
        assert code == 1, f"{command} with {what}: exit code {code}\n{out}"
        assert "Traceback" not in out, f"{command} with {what}:\n{out}"
        assert len(errors) == 1 and needle in errors[0], f"{command} with {what}:\n{out}"


async def test_run_refuses_a_database_that_is_not_migrated(
    tmp_path: Path, bot_env: dict[str, str]
) -> None:
    code, out = await _command({**bot_env, "DATABASE_URL": _url(tmp_path / "new.db")}, "run")
    assert code == 1
    assert "python -m bot migrate" in out and "Traceback" not in out
