"""Run the emulator standalone: ``python -m sandbox --host 127.0.0.1 --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from sandbox.emulator import TOKEN_RE, Emulator
from sandbox.web import WebChat


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m sandbox", description="Local Telegram Bot API emulator"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument(
        "--token",
        action="append",
        default=[],
        help="register this bot token (repeatable); otherwise one is generated",
    )
    p.add_argument("--username", default="semya_sandbox_bot", help="username of the first bot")
    p.add_argument(
        "--rate-limit",
        action="store_true",
        help="enable the Telegram rate-limit model (429 past ~1 msg/s per chat)",
    )
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    # auto_register: any well-formed token works on first use, so any bot can be pointed here.
    emu = Emulator(args.host, args.port, rate_limit=args.rate_limit, auto_register=True)
    for i, token in enumerate(args.token):
        if not TOKEN_RE.match(token):
            raise SystemExit(f"malformed token: {token!r}")
        emu.add_bot(username=args.username if i == 0 else None, token=token)
    if not args.token:
        emu.add_bot(username=args.username)
    WebChat(emu)  # people made by the chat clients are its personas
    await emu.start()
    print(f"Telegram Bot API emulator: {emu.api_url}", flush=True)
    for bot in emu.world.bots.values():
        print(f"  bot @{bot.username}: TELEGRAM_BOT_TOKEN={bot.token}", flush=True)
    print(f"  control API: {emu.api_url}/sandbox/api/", flush=True)
    print(f"  web chat: {emu.api_url}/", flush=True)
    print(f"  chat: python -m sandbox.chat --url {emu.api_url} --name Анна", flush=True)
    try:
        await asyncio.Event().wait()  # until Ctrl-C
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
