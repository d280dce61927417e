"""`make run` with no BOT_TOKEN: the local Bot API emulator with its web chat, and the bot.

The emulator lives in this process; the bot is the real `python -m bot run` in a child
process pointed at it, on the sandbox's own database. A child, not a task, so that "Reset"
starts it over on a fresh database with nothing left in memory, and so that the sandbox clock
reaches it the way end-to-end tests move a real bot's time (`BOT_CLOCK_OFFSET_FILE`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.sandbox_seed import CAST, GROUPS, seed
from bot.services.queues import load_queues
from bot.testclock import ENV as CLOCK_ENV
from db.migrate import downgrade, upgrade
from db.models import Role
from db.session import Database, check_sqlite, is_sqlite
from sandbox import Emulator
from sandbox.persist import read_world, write_world
from sandbox.web import WebChat

logger = logging.getLogger("bot.sandbox")

BOT_USERNAME = "semya_ryadom_sandbox_bot"
BOT_NAME = "Семья рядом"
SAVE_DELAY = 0.5  # seconds: a burst of messages is written to disk once
STOP_TIMEOUT = 10.0

BANNER = """\
{web}
  «Семья рядом» sandbox: open the address above in a browser — pick a persona, talk to the bot.
  Песочница «Семья рядом»: откройте адрес выше в браузере — выберите персону и говорите с ботом.
    Bot API emulator: {url}   (bot @{username})
    Terminal chat, if you prefer it (--user-id {anna} is Анна of the web page):
        .venv/bin/python -m sandbox.chat --url {url} --name Анна --lang ru
    Point another bot at it: TELEGRAM_API_URL={url} BOT_TOKEN=<any digits:30+ chars>
    Sandbox data: {data} (the page's «Reset» starts over). Stop with Ctrl+C.
"""


class SandboxBot:
    """The bot in a child process, its database and its clock: the page's Reset and Clock."""

    def __init__(self, settings: Settings, emu: Emulator, token: str) -> None:
        self.settings = settings
        self.emu = emu
        self.token = token
        self.url = settings.sandbox_database_url
        self.clock_file = settings.sandbox_dir / "sandbox.clock"
        self.proc: asyncio.subprocess.Process | None = None
        self._offset = self._read_offset()
        # The page answers while the bot is still starting: a Reset then must wait for the
        # start to finish, or it would wipe the database under it and start a second bot.
        self._lock = asyncio.Lock()
        self._watch: asyncio.Task[None] | None = None
        self._closing = False

    def _read_offset(self) -> int:
        try:
            return int(float(self.clock_file.read_text() or 0))
        except (OSError, ValueError):
            return 0

    @property
    def clock_offset(self) -> int:
        return self._offset

    async def advance(self, seconds: int) -> None:
        self._write_offset(self._offset + seconds)

    def _write_offset(self, seconds: int) -> None:
        self._offset = seconds
        self.clock_file.parent.mkdir(parents=True, exist_ok=True)
        self.clock_file.write_text(str(seconds))

    async def start(self) -> None:
        async with self._lock:
            await self._start()

    async def _start(self) -> None:
        check_sqlite(self.url)
        await asyncio.to_thread(upgrade, self.url)
        db = Database(self.url)
        try:
            groups = {key: _group_id(self.emu, title) for key, title in GROUPS.items()}
            await seed(db, load_queues(), groups)
        finally:
            await db.dispose()
        env = {
            **os.environ,
            "BOT_TOKEN": self.token,
            "TELEGRAM_API_URL": self.emu.api_url,
            "DATABASE_URL": self.url,
            "WEBHOOK_URL": "",
            # The scheduler's per-second INFO lines would bury the address in the terminal.
            "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
            CLOCK_ENV: str(self.clock_file.resolve()),
        }
        if self._closing:
            return  # stopped while this start was seeding: no bot to leave behind
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env
        )
        self._watch = asyncio.create_task(self._report_exit(self.proc))

    async def _report_exit(self, proc: asyncio.subprocess.Process) -> None:
        """Say so when the bot stops on its own: the page would only go quiet."""
        code = await proc.wait()
        if proc is self.proc:
            print(f"  The bot stopped (exit code {code}); see above. Reset starts it again.",
                  file=sys.stderr, flush=True)  # fmt: skip

    async def shutdown(self) -> None:
        """Stop the bot for good, without waiting for a Reset in progress (it may be stuck
        on a broken database; Ctrl+C must still end the sandbox)."""
        self._closing = True
        await self._stop()

    async def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()

    async def reset(self) -> None:
        """Start over: no chats, a new database with the same set-up, the real time."""
        async with self._lock:
            await self._stop()
            self.emu.world.clear_chats()
            await asyncio.to_thread(_wipe, self.url)
            self._write_offset(0)
            await self._start()


def _wipe(url: str) -> None:
    if not is_sqlite(url):
        downgrade(url, "base")
        return
    path = make_url(url).database or ""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(path + suffix).unlink()


def _group_id(emu: Emulator, title: str) -> int:
    return next(g.id for g in emu.test_groups.values() if g.title == title)


def ensure_cast(emu: Emulator) -> None:
    """The six people and the two staff groups, unless the saved world has them already."""
    for member in CAST:
        if member.user_id not in emu.test_users:
            emu.add_user(member.name, member.lang, user_id=member.user_id)
    staff = [emu.test_users[m.user_id] for m in CAST if m.role is not Role.PARENT]
    titles = {g.title for g in emu.test_groups.values()}
    for title in GROUPS.values():
        if title not in titles:
            emu.add_forum_group(title, members=staff)


class Saver:
    """Writes the world to disk shortly after it changes, and once more at the end."""

    def __init__(self, emu: Emulator, path: Path) -> None:
        self.emu = emu
        self.path = path
        self._pending: asyncio.TimerHandle | None = None

    def touch(self) -> None:
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(SAVE_DELAY, self.flush)

    def flush(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        write_world(self.emu.world, self.path)


async def run_sandbox(settings: Settings) -> None:
    emulator = Emulator(host=settings.sandbox_host, port=settings.sandbox_port, auto_register=True)
    world_file = settings.sandbox_dir / "sandbox.world.json"
    read_world(emulator.world, world_file)
    saved = emulator.world.default_bot
    if saved is not None:
        token = saved.token
    else:
        token = emulator.add_bot(BOT_USERNAME, first_name=BOT_NAME)
    emulator.adopt_world()
    ensure_cast(emulator)
    saver = Saver(emulator, world_file)
    bot = SandboxBot(settings, emulator, token)
    WebChat(emulator, bot, {m.user_id: m.label for m in CAST}, on_change=saver.touch)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with emulator:
        print(
            BANNER.format(
                web=f"{emulator.api_url}/",
                url=emulator.api_url,
                username=BOT_USERNAME,
                anna=CAST[0].user_id,
                data=", ".join(map(str, (settings.sandbox_dir, settings.sandbox_database_url))),
            ),
            flush=True,
        )
        saver.flush()
        await bot.start()
        try:
            await stop.wait()
        finally:
            await bot.shutdown()
            saver.flush()
