"""The baseline for bench/updates.py: a bare aiogram 3 echo bot.

One message handler that replies with the same text; no database, no middlewares of our
own, aiogram's defaults everywhere else (the same `start_polling` settings as our bot).
Reads the same environment as `python -m bot run`:

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT python bench/echo_bot.py

SIGTERM / Ctrl+C stop it (aiogram's own signal handling).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def echo(message: Message) -> None:
    if message.text:
        await message.answer(message.text)


async def main() -> None:
    token = os.environ.get("BOT_TOKEN")
    api_url = os.environ.get("TELEGRAM_API_URL")
    if not token or not api_url:
        print("echo_bot: BOT_TOKEN and TELEGRAM_API_URL are required", file=sys.stderr)
        raise SystemExit(2)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dp = Dispatcher()
    dp.message.register(echo)
    await dp.start_polling(bot, handle_signals=True, close_bot_session=True)


if __name__ == "__main__":
    asyncio.run(main())
