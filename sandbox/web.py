"""The web chat: a Telegram-like page in the browser, served by the emulator itself.

A trainer, a coordinator or a developer picks a persona and sees that person's chats — the
private chat with the bot and the staff forum groups with their topics — and acts in them
through the same test API the terminal chat and the tests use. Bot messages, edits and
deletions reach the page live over server-sent events. The page renders a message from its
text and entities (what Telegram clients do), never from raw HTML.

Routes: ``GET /`` (the page), ``/web/static/*``, ``/web/file/{file_id}`` and the JSON API
under ``/web/api/`` (see sandbox/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import math
import time
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from aiohttp import web

from sandbox.state import Chat, ChatEvent
from sandbox.testing import TestGroup, TestUser

if TYPE_CHECKING:
    from sandbox.emulator import Emulator

__all__ = ["Persona", "WebChat", "WebControl", "WorldControl", "message_view"]

WEB_DIR = Path(__file__).with_name("web")
PING_SECONDS = 15.0  # keeps proxies and the browser from closing an idle event stream
_MEDIA = ("photo", "video", "animation", "document", "audio", "voice", "video_note", "sticker")
_UPLOAD_KINDS = ("photo", "document", "voice")


def _sample_voice() -> bytes:
    """A one-second tone the page can play. Telegram's voice notes are OGG/Opus, which the
    standard library can't write; the bot only relays the file, so a WAV stands in."""
    rate = 8000
    frames = bytes(
        int(128 + 60 * math.sin(2 * math.pi * 440 * i / rate) * min(1, (rate - i) / 800))
        for i in range(rate)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


SAMPLE_VOICE = _sample_voice()


class WebControl(Protocol):
    """What the page's "Reset" and "Clock" buttons reach beyond the emulator (the bot)."""

    async def reset(self) -> None: ...

    async def advance(self, seconds: int) -> None: ...

    @property
    def clock_offset(self) -> int: ...


class WorldControl:
    """The emulator alone: reset clears the chats, the clock is only a number to show."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self._offset = 0

    async def reset(self) -> None:
        self.emu.world.clear_chats()
        self._offset = 0

    async def advance(self, seconds: int) -> None:
        self._offset += seconds

    @property
    def clock_offset(self) -> int:
        return self._offset


@dataclass(frozen=True)
class Persona:
    user_id: int
    role: str  # a label for the picker: "родитель", "специалист", ...


def _media_view(msg: dict[str, Any]) -> dict[str, Any] | None:
    for kind in _MEDIA:
        if kind in msg:
            obj = msg[kind][-1] if kind == "photo" else msg[kind]
            return {
                "kind": kind,
                "url": f"/web/file/{obj['file_id']}",
                "name": obj.get("file_name"),
                "duration": obj.get("duration"),
            }
    return None


def _service_text(msg: dict[str, Any]) -> str | None:
    if "forum_topic_created" in msg:
        return "Тема создана · Topic created: " + str(msg["forum_topic_created"]["name"])
    if "forum_topic_edited" in msg:
        name = str(msg["forum_topic_edited"].get("name") or "")
        return "Тема переименована · Topic renamed: " + name if name else "Тема изменена"
    if "forum_topic_closed" in msg:
        return "Тема закрыта · Topic closed"
    if "forum_topic_reopened" in msg:
        return "Тема открыта снова · Topic reopened"
    if "pinned_message" in msg:
        return "Сообщение закреплено · Message pinned"
    return None


def message_view(msg: dict[str, Any], viewer_id: int) -> dict[str, Any]:
    """What the page needs of one message; the text stays text, with its entities."""
    sender = msg.get("from") or {}
    rows = (msg.get("reply_markup") or {}).get("inline_keyboard") or []
    contact = msg.get("contact")
    return {
        "id": msg["message_id"],
        "thread": msg.get("message_thread_id"),
        "date": msg.get("date"),
        "edited": "edit_date" in msg,
        "from_bot": bool(sender.get("is_bot")),
        "mine": sender.get("id") == viewer_id,
        "author": " ".join(filter(None, (sender.get("first_name"), sender.get("last_name")))),
        "text": msg.get("text") or msg.get("caption") or "",
        "entities": msg.get("entities") or msg.get("caption_entities") or [],
        "media": _media_view(msg),
        "contact": contact and {"phone": contact["phone_number"], "name": contact["first_name"]},
        "service": _service_text(msg),
        "buttons": [
            [{"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")} for b in row]
            for row in rows
        ],
    }


def reply_keyboard(chat: Chat) -> list[list[dict[str, Any]]] | None:
    """The reply keyboard a client shows now: the newest one the bot sent, unless removed."""
    if not chat.keyboards:
        return None
    markup = chat.keyboards[max(chat.keyboards)]
    rows = markup.get("keyboard")
    if not rows:
        return None
    return [
        [
            {"text": b, "contact": False}
            if isinstance(b, str)
            else {"text": b["text"], "contact": bool(b.get("request_contact"))}
            for b in row
        ]
        for row in rows
    ]


@dataclass(eq=False)  # kept in a set by identity
class _Subscriber:
    user_id: int
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)


class WebChat:
    """The page and its API, added to an emulator's aiohttp app (``emu.app_setup``)."""

    def __init__(
        self,
        emu: Emulator,
        control: WebControl | None = None,
        personas: dict[int, str] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.emu = emu
        self.control: WebControl = control or WorldControl(emu)
        self.roles: dict[int, str] = dict(personas or {})
        self.on_change = on_change
        self._subscribers: set[_Subscriber] = set()
        emu.world.listeners.append(self._on_event)
        emu.app_setup.append(self.install)

    # -- who sees what ---------------------------------------------------------------

    def personas(self) -> list[Persona]:
        return [
            Persona(uid, self.roles.get(uid, "родитель · parent")) for uid in self.emu.test_users
        ]

    def _user(self, user_id: Any) -> TestUser:
        try:
            return self.emu.test_users[int(user_id)]
        except (KeyError, TypeError, ValueError):
            raise web.HTTPNotFound(text="unknown persona") from None

    def _groups_of(self, user_id: int) -> list[TestGroup]:
        return [
            g
            for g in self.emu.test_groups.values()
            if g.chat.members.get(user_id, "left") not in ("left", "kicked")
        ]

    def _sees(self, user_id: int, chat: Chat) -> bool:
        if chat.type == "private":
            return chat.id == user_id
        return chat.members.get(user_id, "left") not in ("left", "kicked")

    def _side(self, user: TestUser, chat_id: Any) -> TestUser | TestGroup:
        if int(chat_id) == user.chat.id:
            return user
        group = self.emu.test_groups.get(int(chat_id))
        if group is None or not self._sees(user.id, group.chat):
            raise web.HTTPNotFound(text="no such chat for this persona")
        return group

    def chats(self, user: TestUser) -> list[dict[str, Any]]:
        private = {
            "id": user.chat.id,
            "title": f"{user.bot.first_name} · @{user.bot.username}",
            "kind": "private",
            "topics": [],
        }
        groups = [
            {
                "id": g.id,
                "title": g.title,
                "kind": "forum" if g.chat.is_forum else "group",
                "topics": [
                    {"id": t.thread_id, "name": t.name, "closed": t.closed}
                    for t in sorted(g.chat.topics.values(), key=lambda t: -t.thread_id)
                ],
            }
            for g in self._groups_of(user.id)
        ]
        return [private, *groups]

    def history(self, user: TestUser, chat: Chat, thread: int | None) -> list[dict[str, Any]]:
        msgs = [chat.messages[mid] for mid in sorted(chat.messages)]
        if chat.is_forum:
            msgs = [m for m in msgs if m.get("message_thread_id") == thread]
        return [message_view(m, user.id) for m in msgs]

    # -- live events -------------------------------------------------------------------

    def _on_event(self, chat: Chat, event: ChatEvent) -> None:
        if self.on_change is not None:
            self.on_change()
        for sub in list(self._subscribers):
            if not self._sees(sub.user_id, chat):
                continue
            payload: dict[str, Any] = {
                "type": event.kind,
                "chat": chat.id,
                "message": message_view(event.message, sub.user_id),
            }
            if chat.type == "private":
                payload["keyboard"] = reply_keyboard(chat)
            sub.queue.put_nowait(payload)

    def broadcast(self, payload: dict[str, Any]) -> None:
        for sub in list(self._subscribers):
            sub.queue.put_nowait(payload)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request.query.get("user"))
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        sub = _Subscriber(user.id)
        self._subscribers.add(sub)
        try:
            await response.write(b"event: ready\ndata: {}\n\n")
            while not self.emu.world.closing:
                try:
                    item = await asyncio.wait_for(sub.queue.get(), PING_SECONDS)
                except TimeoutError:
                    await response.write(b": ping\n\n")
                    continue
                data = json.dumps(item, ensure_ascii=False)
                await response.write(f"data: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the page went away or the server is stopping
        finally:
            self._subscribers.discard(sub)
        return response

    # -- routes -----------------------------------------------------------------------

    def install(self, app: web.Application) -> None:
        page = WEB_DIR / "index.html"

        async def index(_: web.Request) -> web.FileResponse:
            return web.FileResponse(page)

        app.router.add_get("/", index)
        app.router.add_static("/web/static", WEB_DIR)
        app.router.add_get("/web/file/{file_id}", self._file)
        app.router.add_get("/web/events", self._stream)
        Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
        api: list[tuple[str, str, Handler]] = [
            ("GET", "personas", self._personas),
            ("GET", "chats", self._chats),
            ("GET", "history", self._history),
            ("GET", "export", self._export),
            ("POST", "personas", self._add_persona),
            ("POST", "send", self._send),
            ("POST", "press", self._press),
            ("POST", "contact", self._contact),
            ("POST", "upload", self._upload),
            ("POST", "reset", self._reset),
            ("POST", "clock", self._clock),
        ]
        for method, name, handler in api:
            app.router.add_route(method, f"/web/api/{name}", handler)

    async def _file(self, request: web.Request) -> web.Response:
        rec = self.emu.world.files.get(request.match_info["file_id"])
        if rec is None:
            raise web.HTTPNotFound()
        mime = rec.mime_type or ("image/jpeg" if rec.file_path.endswith(".jpg") else None)
        headers = {}
        if rec.file_name:
            name = quote(rec.file_name, safe="")
            headers["Content-Disposition"] = f"inline; filename*=UTF-8''{name}"
        return web.Response(
            body=rec.data, content_type=mime or "application/octet-stream", headers=headers
        )

    async def _personas(self, _: web.Request) -> web.Response:
        people = []
        for p in self.personas():
            user = self.emu.test_users[p.user_id]
            people.append(
                {
                    "id": p.user_id,
                    "name": user.first_name,
                    "role": p.role,
                    "lang": user.language_code,
                }
            )
        bot = self.emu.world.default_bot
        return web.json_response(
            {
                "personas": people,
                "clock_offset": self.control.clock_offset,
                "bot": bot.username if bot else None,
            }
        )

    async def _add_persona(self, request: web.Request) -> web.Response:
        body = await _body(request)
        name = str(body.get("name") or "").strip()[:64]
        if not name:
            raise web.HTTPBadRequest(text="a persona needs a name")
        lang = "en" if body.get("lang") == "en" else "ru"
        user = self.emu.add_user(first_name=name, language_code=lang)
        if self.on_change is not None:
            self.on_change()
        return web.json_response({"id": user.id, "name": user.first_name, "lang": lang})

    async def _chats(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user"))
        return web.json_response({"chats": self.chats(user)})

    async def _history(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user"))
        side = self._side(user, request.query.get("chat", user.chat.id))
        thread = request.query.get("thread")
        keyboard = reply_keyboard(side.chat) if side is user else None
        return web.json_response(
            {
                "messages": self.history(user, side.chat, int(thread) if thread else None),
                "keyboard": keyboard,
            }
        )

    async def _send(self, request: web.Request) -> web.Response:
        body = await _body(request)
        user = self._user(body.get("user"))
        side = self._side(user, body.get("chat", user.chat.id))
        text = str(body.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="text is empty")
        if isinstance(side, TestGroup):
            thread = body.get("thread")
            msg = await side.send(user, text, thread_id=int(thread) if thread else None)
        else:
            msg = await user.send(text)
        return web.json_response(message_view(msg, user.id))

    async def _press(self, request: web.Request) -> web.Response:
        body = await _body(request)
        user = self._user(body.get("user"))
        side = self._side(user, body.get("chat", user.chat.id))
        mid, data = int(body["message_id"]), str(body["data"])
        if mid not in side.chat.messages:
            raise web.HTTPNotFound(text="the message is gone")
        if isinstance(side, TestGroup):
            cb_id = await side.click_data(user, mid, data)
        else:
            cb_id = await user.click_data(mid, data)
        try:
            answer = await side.wait_callback_answer(cb_id, timeout=5.0)
        except AssertionError:
            answer = None  # the bot is slow or stopped; the page just shows nothing
        text = answer.get("text") if answer else None
        return web.json_response(
            {"answer": text, "alert": bool(answer and answer.get("show_alert"))}
        )

    async def _contact(self, request: web.Request) -> web.Response:
        body = await _body(request)
        user = self._user(body.get("user"))
        return web.json_response(message_view(await user.share_contact(), user.id))

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        user = self._user(form.get("user"))
        side = self._side(user, form.get("chat", user.chat.id))
        kind = str(form.get("kind") or "")
        if kind not in _UPLOAD_KINDS:
            raise web.HTTPBadRequest(text=f"kind must be one of {_UPLOAD_KINDS}")
        upload = form.get("file")
        name: str | None
        mime: str | None
        if isinstance(upload, web.FileField):
            data, name, mime = upload.file.read(), upload.filename, upload.content_type
        elif kind == "voice":
            data, name, mime = SAMPLE_VOICE, None, "audio/wav"
        else:
            raise web.HTTPBadRequest(text="no file")
        if kind == "photo":
            name, mime = None, None  # Telegram recompresses photos: no name, JPEG
        elif kind == "voice":
            name, mime = None, mime or "audio/ogg"
        caption = str(form.get("caption") or "").strip() or None
        thread = form.get("thread")
        if isinstance(side, TestGroup):
            tid = int(str(thread)) if thread else None
            msg = await side.send_file(user, kind, data, name, mime, caption, tid)
        else:
            msg = await user.send_file(kind, data, name, mime, caption)
        return web.json_response(message_view(msg, user.id))

    async def _reset(self, _: web.Request) -> web.Response:
        await self.control.reset()
        self.broadcast({"type": "reset"})
        if self.on_change is not None:
            self.on_change()
        return web.json_response({"ok": True})

    async def _clock(self, request: web.Request) -> web.Response:
        body = await _body(request)
        seconds = int(body.get("seconds") or 0)
        if not 0 < seconds <= 366 * 86400:
            raise web.HTTPBadRequest(text="seconds: 1 to a year")
        await self.control.advance(seconds)
        offset = self.control.clock_offset
        self.broadcast({"type": "clock", "offset": offset})
        return web.json_response({"clock_offset": offset})

    async def _export(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user"))
        text = self.transcript(user)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        return web.Response(
            text=text,
            content_type="text/plain",
            charset="utf-8",
            headers={
                "Content-Disposition": f"attachment; filename=transcript-{user.id}-{stamp}.txt"
            },
        )

    def transcript(self, user: TestUser) -> str:
        """Every chat of a persona as plain text: who wrote what, when, with the buttons."""
        role = self.roles.get(user.id, "родитель · parent")
        offset = self.control.clock_offset
        lines = [
            f"«Семья рядом» — песочница · sandbox transcript: {user.first_name} ({role})",
            f"Выгружено · exported {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
            + (f", часы песочницы +{offset // 3600} ч" if offset else ""),
        ]
        for chat in self.chats(user):
            side = self._side(user, chat["id"])
            threads: list[tuple[str, int | None]] = [(chat["title"], None)]
            threads += [(f"{chat['title']} · {t['name']}", t["id"]) for t in chat["topics"]]
            for title, thread in threads:
                views = self.history(user, side.chat, thread)
                if views:
                    lines += ["", f"== {title} ==", *map(_transcript_line, views)]
        return "\n".join(lines) + "\n"


def _transcript_line(view: dict[str, Any]) -> str:
    when = time.strftime("%d.%m %H:%M", time.gmtime(view["date"] or 0))
    if view["service"]:
        return f"[{when}] — {view['service']} —"
    body = view["text"]
    if view["media"]:
        media = view["media"]
        body = f"[{media['kind']}{': ' + media['name'] if media['name'] else ''}] {body}".strip()
    if view["contact"]:
        body = f"[контакт · contact: {view['contact']['phone']}]"
    edited = " (изменено)" if view["edited"] else ""
    line = f"[{when}] {view['author']}{edited}: {body}"
    buttons = [b["text"] for row in view["buttons"] for b in row]
    return line + ("\n    " + " | ".join(f"[{b}]" for b in buttons) if buttons else "")


async def _body(request: web.Request) -> dict[str, Any]:
    with contextlib.suppress(ValueError):
        body = await request.json()
        if isinstance(body, dict):
            return body
    raise web.HTTPBadRequest(text="body must be a JSON object")
