"""The people side: test users and groups that write to the bot and wait for its answers.

Waiting is event-driven (each chat has a :class:`~sandbox.state.Signal`), so a test
continues the moment the bot's message lands. On timeout an ``AssertionError`` lists the
last messages of the chat and the bot's rejected calls — usually the reason.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.html import utf16_len
from sandbox.methods import MEMBER_TYPES
from sandbox.state import BotAccount, CallbackRecord, Chat, ChatEvent, Topic, User, now

if TYPE_CHECKING:
    from sandbox.emulator import Emulator

__all__ = ["BotMessage", "TestGroup", "TestUser"]

_COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?")


class BotMessage:
    """A message as a person sees it (one event: a new message or an edit)."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        raw: dict[str, Any],
        *,
        edited: bool = False,
        keyboard: dict[str, Any] | None = None,
        from_bot: bool = True,
    ) -> None:
        self.raw = raw
        self.edited = edited
        self.keyboard = keyboard
        self.from_bot = from_bot

    @property
    def message_id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def text(self) -> str | None:
        """Text, or the caption of a media message."""
        value = self.raw.get("text", self.raw.get("caption"))
        return str(value) if value is not None else None

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    @property
    def thread_id(self) -> int | None:
        tid = self.raw.get("message_thread_id")
        return int(tid) if tid is not None else None

    @property
    def media_group_id(self) -> str | None:
        """The album this message belongs to, if any."""
        gid = self.raw.get("media_group_id")
        return str(gid) if gid is not None else None

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        markup = self.raw.get("reply_markup") or {}
        return list(markup.get("inline_keyboard") or [])

    @property
    def buttons(self) -> list[list[str]]:
        """Texts of the inline buttons, row by row."""
        return [[b["text"] for b in row] for row in self.inline_keyboard]

    @property
    def reply_buttons(self) -> list[list[str]]:
        """Texts of the reply keyboard sent with this message (empty if none)."""
        rows = (self.keyboard or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]

    def callback_data(self, text: str) -> str | None:
        for row in self.inline_keyboard:
            for b in row:
                if b["text"] == text:
                    return b.get("callback_data")
        return None

    def __repr__(self) -> str:
        mark = " (edited)" if self.edited else ""
        return f"<BotMessage #{self.message_id}{mark} {self.text!r} buttons={self.buttons}>"


def _describe_event(ev: ChatEvent) -> str:
    who = "bot" if ev.from_bot else "user"
    m = ev.message
    body = m.get("text") or m.get("caption")
    if body is None:
        body = (
            "<"
            + next(
                (
                    k
                    for k in m
                    if k
                    not in (
                        "message_id",
                        "from",
                        "chat",
                        "date",
                        "message_thread_id",
                        "is_topic_message",
                    )
                ),
                "?",
            )
            + ">"
        )
    buttons = BotMessage(m).buttons
    extra = f" buttons={buttons}" if buttons else ""
    thread = f" thread={m['message_thread_id']}" if "message_thread_id" in m else ""
    return f"  [{ev.seq}] {ev.kind} #{m['message_id']} {who}{thread}: {body!r}{extra}"


def _describe(
    contains: str | None,
    pattern: str | None,
    predicate: Callable[[BotMessage], bool] | None,
    thread_id: int | None = None,
) -> str:
    """What a wait looks for, for the message when it times out."""
    parts = (
        f"in topic {thread_id}" if thread_id else "",
        f"containing {contains!r}" if contains else "",
        f"matching /{pattern}/" if pattern else "",
        "passing the predicate" if predicate else "",
    )
    return " ".join(p for p in parts if p)


def _matcher(
    contains: str | None, pattern: str | None, predicate: Callable[[BotMessage], bool] | None
) -> Callable[[BotMessage], bool]:
    rx = re.compile(pattern) if pattern is not None else None

    def match(m: BotMessage) -> bool:
        text = m.text or ""
        if contains is not None and contains not in text:
            return False
        if rx is not None and not rx.search(text):
            return False
        return predicate is None or predicate(m)

    return match


class _ChatSide:
    """Shared machinery of a private chat or a group seen by people."""

    def __init__(self, emu: Emulator, chat: Chat, bot: BotAccount) -> None:
        self.emu = emu
        self.chat = chat
        self.bot = bot
        self.cursor = 0  # index into chat.events: the next event wait_message looks at

    async def _wait(
        self, match: Callable[[BotMessage], bool], timeout: float, thread_id: int | None, what: str
    ) -> BotMessage:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        chat = self.chat
        while True:
            while self.cursor < len(chat.events):
                ev = chat.events[self.cursor]
                self.cursor += 1
                if not ev.from_bot or ev.service or ev.kind == "delete":
                    continue
                if thread_id is not None and ev.message.get("message_thread_id") != thread_id:
                    continue
                m = BotMessage(ev.message, edited=ev.kind == "edit", keyboard=ev.keyboard)
                if match(m):
                    return m
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._dump(f"no bot message {what} within {timeout}s"))
            await chat.signal.wait(remaining)

    def _dump(self, headline: str) -> str:
        lines = [headline, f"last events of chat {self.chat.id}:"]
        lines += [_describe_event(ev) for ev in self.chat.events[-12:]] or ["  (none)"]
        rejected = [r for r in self.emu.log.records if r.status != 200 and r.bot_id == self.bot.id]
        if rejected:
            lines.append("bot calls rejected recently:")
            lines += [f"  {r.method} → {r.status} {r.error}" for r in rejected[-8:]]
        return "\n".join(lines)

    @property
    def history(self) -> list[BotMessage]:
        """The messages currently in the chat (after edits and deletions)."""
        bot_id = self.bot.id
        return [
            BotMessage(
                m,
                edited="edit_date" in m,
                keyboard=self.chat.keyboards.get(mid),
                from_bot=m.get("from", {}).get("id") == bot_id,
            )
            for mid, m in sorted(self.chat.messages.items())
        ]

    @property
    def last_bot_message(self) -> BotMessage | None:
        bot_msgs = [m for m in self.history if m.from_bot]
        return bot_msgs[-1] if bot_msgs else None

    def _find_button(self, text: str, message_id: int | None) -> tuple[dict[str, Any], str]:
        candidates = sorted(self.chat.messages.items(), reverse=True)
        for mid, msg in candidates:
            if message_id is not None and mid != message_id:
                continue
            if msg.get("from", {}).get("id") != self.bot.id:
                continue
            for row in (msg.get("reply_markup") or {}).get("inline_keyboard") or []:
                for b in row:
                    if b["text"] == text:
                        if b.get("callback_data") is None:
                            raise AssertionError(f"button {text!r} has no callback_data: {b}")
                        return msg, str(b["callback_data"])
        available = [
            f"#{mid}: {BotMessage(m).buttons}"
            for mid, m in candidates[:10]
            if BotMessage(m).buttons
        ]
        raise AssertionError(
            f"no inline button {text!r}"
            + (f" in message #{message_id}" if message_id else "")
            + "; available: "
            + ("; ".join(available) or "none")
        )

    def _callback(self, user: User, msg: dict[str, Any], data: str) -> str:
        cb_id = str(secrets.randbelow(9 * 10**18) + 10**18)
        payload = {
            "id": cb_id,
            "from": user.user_dict(),
            "message": msg,
            "chat_instance": str(abs(hash((self.bot.id, self.chat.id))) % 10**18),
            "data": data,
        }
        self.emu.world.callbacks[cb_id] = CallbackRecord(
            cb_id, self.bot.id, user.id, self.chat.id, msg["message_id"], data, time.monotonic()
        )
        self.emu.world.push_update(self.bot, "callback_query", payload)
        return cb_id

    async def wait_callback_answer(self, cb_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The answerCallbackQuery parameters (text, show_alert, url, cache_time)."""
        cb = self.emu.world.callbacks[cb_id]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while cb.answer is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    self._dump(
                        f"callback query {cb_id} ({cb.data!r}) was not answered within {timeout}s"
                    )
                )
            await cb.signal.wait(remaining)
        return cb.answer

    def _user_message(
        self, user: User, content: dict[str, Any], thread_id: int | None = None
    ) -> dict[str, Any]:
        msg = self.emu.world.new_message(
            self.chat, user.user_dict(), content, thread_id, from_bot=False
        )
        self.emu.world.push_update(self.bot, "message", msg)
        return msg

    def _media_content(
        self,
        kind: str,
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
    ) -> dict[str, Any]:
        rec = self.emu.world.store_file(data, kind, file_name, mime_type)
        content: dict[str, Any] = {kind: self.emu.api.media_object(rec, kind)}
        if kind == "sticker":
            content["sticker"]["emoji"] = "👍"
        if caption:
            content["caption"] = caption
        return content

    def _album(
        self, user: User, count: int, kind: str, caption: str | None, thread_id: int | None
    ) -> list[dict[str, Any]]:
        if kind not in _ALBUM_SAMPLES:
            raise ValueError(f"albums hold {sorted(_ALBUM_SAMPLES)}, not {kind!r}")
        if not 2 <= count <= 10:
            raise ValueError("an album has 2 to 10 items")
        data, ext, mime = _ALBUM_SAMPLES[kind]
        group_id = self.emu.world.new_media_group_id()
        sent = []
        for i in range(count):
            name = f"{kind}_{i + 1}{ext}" if kind != "photo" else None
            content = self._media_content(kind, data, name, mime, caption if i == 0 else None)
            # A client uploads an album as separate messages: one update each.
            sent.append(
                self._user_message(user, {"media_group_id": group_id, **content}, thread_id)
            )
        return sent

    def _edit(self, user: User, message_id: int, new_text: str) -> dict[str, Any]:
        old = self.chat.messages.get(message_id)
        if old is None:
            raise AssertionError(f"no message #{message_id} to edit")
        if old.get("from", {}).get("id") != user.id:
            raise AssertionError(f"message #{message_id} was not written by {user.first_name}")
        if "text" in old:
            if not new_text.strip():
                raise AssertionError("a text message can't be edited to empty text")
            changes, drop = _text_content(new_text), ("text", "entities")
            unchanged = old["text"] == new_text
        elif any(k in old for k in _MEDIA_KINDS):
            changes = {"caption": new_text} if new_text else {}
            drop = ("caption", "caption_entities")
            unchanged = old.get("caption", "") == new_text
        else:
            raise AssertionError(f"message #{message_id} has no text or caption to edit")
        if unchanged:
            raise AssertionError(f"message #{message_id} already says {new_text!r}")
        new = self.emu.world.edit_message(self.chat, old, changes, drop, from_bot=False)
        self.emu.world.push_update(self.bot, "edited_message", new)
        return new

    def age_messages(self, seconds: int, message_ids: list[int] | None = None) -> int:
        """Make this chat's messages (or only ``message_ids``) look sent ``seconds`` earlier;
        see :meth:`sandbox.state.World.age_messages`. Returns how many were aged."""
        return self.emu.world.age_chat(self.chat, seconds, message_ids)


# What a client uploads for an album item of each kind: (data, file name extension, MIME).
_ALBUM_SAMPLES: dict[str, tuple[bytes, str, str | None]] = {
    "photo": (b"\xff\xd8\xff\xe0fake-jpeg", ".jpg", None),
    "video": (b"\x00\x00\x00\x18ftypmp42 fake", ".mp4", "video/mp4"),
    "document": (b"%PDF-1.4 fake", ".pdf", "application/pdf"),
    "audio": (b"ID3 fake mp3", ".mp3", "audio/mpeg"),
}
_MEDIA_KINDS = ("photo", "video", "document", "audio", "voice", "animation", "video_note")


def _text_content(text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    m = _COMMAND_RE.match(text)
    if m:
        content["entities"] = [
            {"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))}
        ]
    return content


class TestUser(_ChatSide):
    """A person in a private chat with a bot."""

    __test__ = False

    def __init__(self, emu: Emulator, user: User, bot: BotAccount) -> None:
        super().__init__(emu, emu.world.private_chat(bot, user), bot)
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def first_name(self) -> str:
        return self.user.first_name

    @property
    def language_code(self) -> str | None:
        return self.user.language_code

    @property
    def username(self) -> str | None:
        return self.user.username

    def describe(self) -> dict[str, Any]:
        return {
            "user_id": self.id,
            "chat_id": self.chat.id,
            **self.user.user_dict(),
            "bot_username": self.bot.username,
            "blocked": self.blocked,
        }

    # -- acting ----------------------------------------------------------------------

    def _ensure_unblocked(self) -> None:
        # Writing to a blocked bot requires "Restart" in real clients, which unblocks it.
        if self.blocked:
            self.unblock()

    async def send(self, text: str) -> dict[str, Any]:
        """Write ``text`` to the bot (a leading /command gets a bot_command entity)."""
        self._ensure_unblocked()
        return self._user_message(self.user, _text_content(text))

    async def click(self, text: str, message_id: int | None = None) -> str:
        """Press the inline button ``text`` on the newest bot message having it."""
        msg, data = self._find_button(text, message_id)
        return self._callback(self.user, msg, data)

    async def click_data(self, message_id: int, callback_data: str) -> str:
        msg = self.chat.messages.get(message_id)
        if msg is None:
            raise AssertionError(f"no message #{message_id}")
        return self._callback(self.user, msg, callback_data)

    def current_reply_keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard a client would show now (the last one the bot sent)."""
        for ev in reversed(self.chat.events):
            if ev.from_bot and ev.kind == "message" and ev.keyboard is not None:
                return ev.keyboard if "keyboard" in ev.keyboard else None
        return None

    async def press(self, text: str) -> dict[str, Any]:
        """Press a reply-keyboard button: sends its text or, for request_contact, the contact."""
        keyboard = self.current_reply_keyboard()
        rows = (keyboard or {}).get("keyboard") or []
        for row in rows:
            for b in row:
                button = {"text": b} if isinstance(b, str) else b
                if button["text"] == text:
                    if button.get("request_contact"):
                        return await self.share_contact()
                    return await self.send(text)
        shown = [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]
        raise AssertionError(f"no reply keyboard button {text!r}; keyboard: {shown or 'none'}")

    async def share_contact(self, phone: str | None = None) -> dict[str, Any]:
        self._ensure_unblocked()
        contact: dict[str, Any] = {
            "phone_number": phone or f"+7999{self.id % 10**7:07d}",
            "first_name": self.user.first_name,
            "user_id": self.id,
        }
        if self.user.last_name:
            contact["last_name"] = self.user.last_name
        return self._user_message(self.user, {"contact": contact})

    async def _send_media(
        self,
        kind: str,
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
    ) -> dict[str, Any]:
        self._ensure_unblocked()
        content = self._media_content(kind, data, file_name, mime_type, caption)
        return self._user_message(self.user, content)

    async def send_file(
        self,
        kind: str,
        data: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send given bytes as a photo, document, voice, ... (what a client uploads)."""
        return await self._send_media(kind, data, file_name, mime_type, caption)

    async def send_album(
        self, count: int, kind: str = "photo", caption: str | None = None
    ) -> list[dict[str, Any]]:
        """Send ``count`` (2–10) photos / videos / documents / audios as one album: like
        Telegram, ``count`` separate message updates sharing a ``media_group_id``, the
        caption on the first only."""
        self._ensure_unblocked()
        return self._album(self.user, count, kind, caption, None)

    async def edit(self, message_id: int, new_text: str) -> dict[str, Any]:
        """Edit one's own message (its text, or a media message's caption): the stored
        message changes and the bot gets an ``edited_message`` update."""
        self._ensure_unblocked()
        return self._edit(self.user, message_id, new_text)

    async def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        return await self._send_media("photo", b"\xff\xd8\xff\xe0fake-jpeg", None, None, caption)

    async def send_document(
        self,
        file_name: str = "document.pdf",
        data: bytes = b"%PDF-1.4 fake",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> dict[str, Any]:
        return await self._send_media("document", data, file_name, mime_type, caption)

    async def send_voice(self) -> dict[str, Any]:
        return await self._send_media("voice", b"OggS fake", None, "audio/ogg", None)

    async def send_sticker(self) -> dict[str, Any]:
        return await self._send_media("sticker", b"RIFF fake webp", None, "image/webp", None)

    async def wait_message(
        self,
        contains: str | None = None,
        *,
        pattern: str | None = None,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5.0,
    ) -> BotMessage:
        """The next bot message event (new or edit) after the cursor that matches."""
        what = _describe(contains, pattern, predicate)
        return await self._wait(_matcher(contains, pattern, predicate), timeout, None, what)

    # -- blocking ----------------------------------------------------------------------

    @property
    def blocked(self) -> bool:
        return self.bot.id in self.user.blocked_bots

    def _member_update(self, old: str, new: str) -> None:
        bot_user = self.bot.user_dict()
        new_member = self.emu.api.member_object(self.chat, new, bot_user)
        old_member = self.emu.api.member_object(self.chat, old, bot_user)
        self.emu.world.push_update(
            self.bot,
            "my_chat_member",
            {
                "chat": self.chat.chat_dict(),
                "from": self.user.user_dict(),
                "date": now(),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    def block(self) -> None:
        """Block the bot: its sends fail with 403 and it gets my_chat_member (kicked)."""
        if not self.blocked:
            self.user.blocked_bots.add(self.bot.id)
            self._member_update("member", "kicked")

    def unblock(self) -> None:
        if self.blocked:
            self.user.blocked_bots.discard(self.bot.id)
            self._member_update("kicked", "member")

    # -- control API ---------------------------------------------------------------------

    async def events_after(self, after: int, timeout: float) -> list[dict[str, Any]]:
        """Chat events with seq >= after, waiting up to ``timeout`` for at least one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.chat.events) <= after and not self.emu.world.closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self.chat.signal.wait(remaining)
        return [ev.to_json() for ev in self.chat.events[after:]]


class TestGroup(_ChatSide):
    """A group or a forum supergroup with the bot (and people) in it."""

    __test__ = False

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.title or ""

    @property
    def topics(self) -> dict[int, Topic]:
        """Forum topics by thread id (``.name``, ``.closed``)."""
        return dict(self.chat.topics)

    def add_member(self, user: TestUser, status: str = "member") -> None:
        """``user`` joins with ``status``: member, administrator (every right), creator,
        restricted (may do nothing), left or kicked — as getChatMember reports them."""
        if status not in MEMBER_TYPES:
            raise ValueError(f"unknown chat member status: {status!r}")
        self.chat.members[user.id] = status

    async def send(
        self, user: TestUser, text: str, thread_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """``user`` writes ``text`` in the group (in topic ``thread_id`` of a forum)."""
        content = _text_content(text)
        if reply_to is not None:
            target = self.chat.messages.get(reply_to)
            if target is None:
                raise AssertionError(f"no message #{reply_to} to reply to")
            content["reply_to_message"] = {
                k: v for k, v in target.items() if k != "reply_to_message"
            }
            thread_id = thread_id or target.get("message_thread_id")
        self._author(user, thread_id)
        return self._user_message(user.user, content, thread_id)

    def _author(self, user: TestUser, thread_id: int | None) -> None:
        self.chat.members.setdefault(user.id, "member")
        if thread_id is not None and thread_id not in self.chat.topics:
            raise AssertionError(f"no topic {thread_id} in {self.title!r}")

    async def _send_media(
        self,
        user: TestUser,
        kind: str,
        data: bytes,
        file_name: str | None,
        mime_type: str | None,
        caption: str | None,
        thread_id: int | None,
    ) -> dict[str, Any]:
        self._author(user, thread_id)
        content = self._media_content(kind, data, file_name, mime_type, caption)
        return self._user_message(user.user, content, thread_id)

    async def send_file(
        self,
        user: TestUser,
        kind: str,
        data: bytes,
        file_name: str | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """``user`` posts given bytes as a photo, document, voice, ... (in topic ``thread_id``)."""
        return await self._send_media(user, kind, data, file_name, mime_type, caption, thread_id)

    async def send_photo(
        self, user: TestUser, caption: str | None = None, thread_id: int | None = None
    ) -> dict[str, Any]:
        """``user`` posts a photo (in topic ``thread_id`` of a forum)."""
        data = b"\xff\xd8\xff\xe0fake-jpeg"
        return await self._send_media(user, "photo", data, None, None, caption, thread_id)

    async def send_document(
        self,
        user: TestUser,
        file_name: str = "document.pdf",
        data: bytes = b"%PDF-1.4 fake",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        return await self._send_media(
            user, "document", data, file_name, mime_type, caption, thread_id
        )

    async def send_voice(self, user: TestUser, thread_id: int | None = None) -> dict[str, Any]:
        return await self._send_media(
            user, "voice", b"OggS fake", None, "audio/ogg", None, thread_id
        )

    async def send_album(
        self,
        user: TestUser,
        count: int,
        kind: str = "photo",
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Like :meth:`TestUser.send_album`, posted by ``user`` in the group / topic."""
        self._author(user, thread_id)
        return self._album(user.user, count, kind, caption, thread_id)

    async def edit(self, user: TestUser, message_id: int, new_text: str) -> dict[str, Any]:
        """``user`` edits their message: ``edited_message`` update, stored message changed."""
        return self._edit(user.user, message_id, new_text)

    def set_bot_admin(self, is_admin: bool = True, **rights: bool) -> None:
        """Make the bot an administrator (rights not named stay granted) or a plain member,
        e.g. ``group.set_bot_admin(can_delete_messages=False)``."""
        self.emu.check_admin_rights(rights)
        self.chat.bot_rights.pop(self.bot.id, None)
        if is_admin:
            self.chat.admin_bot_ids.add(self.bot.id)
            if rights:
                self.chat.bot_rights[self.bot.id] = dict(rights)
        else:
            self.chat.admin_bot_ids.discard(self.bot.id)

    async def click(self, user: TestUser, text: str, message_id: int | None = None) -> str:
        msg, data = self._find_button(text, message_id)
        return self._callback(user.user, msg, data)

    async def click_data(self, user: TestUser, message_id: int, callback_data: str) -> str:
        """``user`` sends a callback with any data from message ``message_id`` (forgery)."""
        msg = self.chat.messages.get(message_id)
        if msg is None:
            raise AssertionError(f"no message #{message_id}")
        return self._callback(user.user, msg, callback_data)

    async def wait_message(
        self,
        thread_id: int | None = None,
        contains: str | None = None,
        *,
        pattern: str | None = None,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5.0,
    ) -> BotMessage:
        what = _describe(contains, pattern, predicate, thread_id)
        return await self._wait(_matcher(contains, pattern, predicate), timeout, thread_id, what)
