"""Terminal chat with the bot through a running emulator's control API.

``python -m sandbox.chat --url http://127.0.0.1:8081 --name Анна --lang ru [--user-id N]``

Type text to send it; ``:N`` presses inline button N of the last message with buttons;
``/contact`` shares your phone number; ``:q`` quits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = ["ChatClient", "main"]


@dataclass
class ChatClient:
    url: str
    http: aiohttp.ClientSession
    user_id: int = 0
    cursor: int = 0
    # (message_id, callback_data) of the numbered buttons of the last message with buttons
    buttons: list[tuple[int, str]] = field(default_factory=list)

    def _api(self, path: str) -> str:
        return f"{self.url.rstrip('/')}/sandbox/api{path}"

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(self._api(path), json=body) as r:
            payload = await r.json()
        if not payload.get("ok"):
            raise RuntimeError(payload.get("description", "error"))
        return payload["result"]

    async def login(self, name: str, lang: str, user_id: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"first_name": name, "language_code": lang}
        if user_id is not None:
            body["user_id"] = user_id
        info: dict[str, Any] = await self._post("/users", body)
        self.user_id = int(info["user_id"])
        return info

    async def send(self, text: str) -> None:
        await self._post(f"/users/{self.user_id}/send", {"text": text})

    async def press(self, n: int) -> None:
        if not 1 <= n <= len(self.buttons):
            print(f"  (нет кнопки {n}; доступно {len(self.buttons)})")
            return
        mid, data = self.buttons[n - 1]
        await self._post(f"/users/{self.user_id}/click", {"message_id": mid, "callback_data": data})

    async def contact(self, phone: str | None) -> None:
        await self._post(f"/users/{self.user_id}/contact", {"phone": phone})

    def render(self, ev: dict[str, Any]) -> str | None:
        """Text for one chat event, numbering inline buttons (None: nothing to show)."""
        m = ev["message"]
        if not ev["from_bot"] or ev.get("service"):
            return None
        if ev["kind"] == "delete":
            return f"  [сообщение #{m['message_id']} удалено]"
        body = (
            m.get("text")
            or m.get("caption")
            or "<"
            + next(
                (
                    k
                    for k in ("photo", "document", "voice", "sticker", "contact", "location")
                    if k in m
                ),
                "сообщение",
            )
            + ">"
        )
        mark = " (изменено)" if ev["kind"] == "edit" else ""
        lines = [f"🤖 #{m['message_id']}{mark}: {body}"]
        rows = (m.get("reply_markup") or {}).get("inline_keyboard") or []
        if rows:
            self.buttons = []
            for row in rows:
                cells = []
                for b in row:
                    if b.get("callback_data") is not None:
                        self.buttons.append((m["message_id"], b["callback_data"]))
                        cells.append(f"[{len(self.buttons)}] {b['text']}")
                    else:
                        cells.append(f"[url] {b['text']} ({b.get('url', '')})")
                lines.append("   " + "   ".join(cells))
        kb = ev.get("keyboard")
        if kb and kb.get("keyboard"):
            texts = [b if isinstance(b, str) else b["text"] for row in kb["keyboard"] for b in row]
            lines.append("   клавиатура: " + " | ".join(texts))
        elif kb and kb.get("remove_keyboard"):
            lines.append("   (клавиатура убрана)")
        return "\n".join(lines)

    async def follow(self) -> None:
        """Long-poll the chat's events and print them as they come."""
        while True:
            try:
                async with self.http.get(
                    self._api(f"/users/{self.user_id}/events"),
                    params={"after": str(self.cursor), "timeout": "25"},
                ) as r:
                    result = (await r.json())["result"]
            except (aiohttp.ClientError, TimeoutError) as exc:
                print(f"  (нет связи с эмулятором: {exc.__class__.__name__})")
                await asyncio.sleep(1)  # reconnect delay after a network error
                continue
            for ev in result["events"]:
                text = self.render(ev)
                if text:
                    print(text, flush=True)
            self.cursor = result["cursor"]


async def _repl(args: argparse.Namespace) -> None:
    timeout = aiohttp.ClientTimeout(total=40)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        client = ChatClient(args.url, http)
        info = await client.login(args.name, args.lang, args.user_id)
        print(
            f"Вы — {info['first_name']} (id {client.user_id}), чат с @{info['bot_username']}. "
            "Пишите текст; :N — кнопка N; /contact — телефон; :q — выход."
        )
        follower = asyncio.create_task(client.follow())
        loop = asyncio.get_running_loop()
        try:
            while True:
                line = await loop.run_in_executor(None, sys.stdin.readline)
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                try:
                    if line == ":q":
                        break
                    if line.startswith(":") and line[1:].isdigit():
                        await client.press(int(line[1:]))
                    elif line.startswith("/contact"):
                        await client.contact(line.split(maxsplit=1)[1] if " " in line else None)
                    else:
                        await client.send(line)
                except RuntimeError as exc:
                    print(f"  (ошибка: {exc})")
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m sandbox.chat", description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:8081")
    p.add_argument("--name", default="Анна")
    p.add_argument("--lang", default="ru")
    p.add_argument("--user-id", type=int, default=None)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_repl(p.parse_args(argv)))


if __name__ == "__main__":
    main()
