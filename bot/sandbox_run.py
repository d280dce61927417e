"""`make run` with no BOT_TOKEN: the local Bot API emulator and the bot against it, one process."""

from __future__ import annotations

from bot.app import run_polling
from bot.config import Settings
from sandbox import Emulator

BANNER = """
  «Семья рядом» sandbox is running — no Telegram needed.
    Bot API emulator: {url}   (bot @{username})
    Talk to the bot from another terminal:
        .venv/bin/python -m sandbox.chat --url {url} --name Анна --lang ru
    Point another bot at it: TELEGRAM_API_URL={url} BOT_TOKEN=<any digits:30+ chars>
    Stop with Ctrl+C.
"""


async def run_sandbox(settings: Settings) -> None:
    emulator = Emulator(host=settings.sandbox_host, port=settings.sandbox_port, auto_register=True)
    async with emulator:
        username = "semya_ryadom_sandbox_bot"
        token = emulator.add_bot(username=username)
        print(BANNER.format(url=emulator.api_url, username=username), flush=True)
        sandboxed = settings.model_copy(update={"telegram_api_url": emulator.api_url})
        await run_polling(sandboxed, token=token)
