"""The emulated Telegram world: bots, users, chats, messages, files, updates.

Everything lives in one asyncio event loop, so a method handler is atomic between awaits
and no locks are needed. Waiting (long polls, test helpers) uses :class:`Signal` — a
broadcast wake-up built on asyncio.Event — never sleeps in fixed steps.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiError",
    "BotAccount",
    "CallbackRecord",
    "Chat",
    "ChatEvent",
    "FileRecord",
    "Signal",
    "Topic",
    "User",
    "World",
]

# Kinds of updates that are not delivered unless asked for explicitly (Bot API docs).
_OPT_IN_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
MAX_PENDING_UPDATES = 100_000


class ApiError(Exception):
    """A Telegram error answer: ``{"ok": false, "error_code", "description", "parameters"}``."""

    def __init__(
        self,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        injected: bool = False,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.injected = injected

    @staticmethod
    def bad_request(detail: str) -> ApiError:
        return ApiError(400, f"Bad Request: {detail}")


class Signal:
    """Wake every current waiter; later waiters wait for the next notify."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> bool:
        """Wait for the next notify; False on timeout."""
        event = self._event
        if timeout is not None and timeout <= 0:
            return False
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True


def now() -> int:
    return int(time.time())


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None
    task: asyncio.Task[None] | None = None


@dataclass
class BotAccount:
    id: int
    token: str
    username: str
    first_name: str
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    # Updates re-queued by a test (Emulator.redeliver), by identity: each is handed out once
    # more even below the confirmed offset.
    resent: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 0
    signal: Signal = field(default_factory=Signal)
    poll_generation: int = 0
    allowed_updates: set[str] | None = None
    webhook: WebhookConfig | None = None
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def user_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def me(self) -> dict[str, Any]:
        return {
            **self.user_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def wants(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self.allowed_updates is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self.allowed_updates


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked_bots: set[int] = field(default_factory=set)

    def user_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        return d


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    closed: bool = False
    icon_custom_emoji_id: str | None = None


@dataclass
class ChatEvent:
    """Something visible happened in a chat: a new message, an edit or a deletion."""

    seq: int
    kind: str  # "message" | "edit" | "delete"
    message: dict[str, Any]  # snapshot at the time of the event
    from_bot: bool
    service: bool = False
    # ReplyKeyboardMarkup / ReplyKeyboardRemove / ForceReply sent with the message: Telegram
    # does not echo them in Message.reply_markup, but a chat client has to show them.
    keyboard: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "from_bot": self.from_bot,
            "service": self.service,
            "message": self.message,
            "keyboard": self.keyboard,
        }


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    user: User | None = None  # the other side of a private chat
    bot_id: int | None = None  # the bot of a private chat
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    bot_ids: set[int] = field(default_factory=set)  # bots in a group
    admin_bot_ids: set[int] = field(default_factory=set)
    # Administrator rights of admin bots that differ from the default (all granted), e.g.
    # {bot_id: {"can_delete_messages": False}}; getChatMember and deletions follow them.
    bot_rights: dict[int, dict[str, bool]] = field(default_factory=dict)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1
    events: list[ChatEvent] = field(default_factory=list)
    signal: Signal = field(default_factory=Signal)
    topics: dict[int, Topic] = field(default_factory=dict)
    pinned: list[int] = field(default_factory=list)
    keyboards: dict[int, dict[str, Any]] = field(default_factory=dict)  # non-inline markups
    # The world's fan-out to its listeners (the web chat's live stream, saving to disk).
    observer: Callable[[Chat, ChatEvent], None] | None = field(default=None, repr=False)

    def chat_dict(self) -> dict[str, Any]:
        if self.type == "private" and self.user is not None:
            d: dict[str, Any] = {
                "id": self.id,
                "type": "private",
                "first_name": self.user.first_name,
            }
            if self.user.last_name:
                d["last_name"] = self.user.last_name
            if self.user.username:
                d["username"] = self.user.username
            return d
        d = {"id": self.id, "type": self.type, "title": self.title or ""}
        if self.username:
            d["username"] = self.username
        if self.is_forum:
            d["is_forum"] = True
        return d

    def add_event(
        self, kind: str, message: dict[str, Any], from_bot: bool, service: bool = False
    ) -> ChatEvent:
        ev = ChatEvent(
            len(self.events),
            kind,
            message,
            from_bot,
            service,
            self.keyboards.get(message["message_id"]),
        )
        self.events.append(ev)
        self.signal.notify()
        if self.observer is not None:
            self.observer(self, ev)
        return ev


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    mime_type: str | None
    file_name: str | None


@dataclass
class CallbackRecord:
    id: str
    bot_id: int
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    created: float  # time.monotonic()
    answer: dict[str, Any] | None = None
    signal: Signal = field(default_factory=Signal)


class World:
    """All state of the emulator. Methods here never touch HTTP."""

    def __init__(self) -> None:
        self.bots: dict[int, BotAccount] = {}
        self.bots_by_token: dict[str, BotAccount] = {}
        self.default_bot: BotAccount | None = None
        self.users: dict[int, User] = {}
        self.private_chats: dict[tuple[int, int], Chat] = {}  # (bot id, user id)
        self.groups: dict[int, Chat] = {}
        self.files: dict[str, FileRecord] = {}
        self.files_by_path: dict[str, FileRecord] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._media_group_ids = itertools.count(13_000_000_000_000_001 + secrets.randbelow(10**15))
        self.closing = False
        # Called after every chat event, in the emulator's loop; must not block.
        self.listeners: list[Callable[[Chat, ChatEvent], None]] = []
        # The TLS proxy in front of several bot processes: a webhook URL the bots set, and
        # the local addresses its updates are handed to in turn (Emulator.balance_webhook).
        self.webhook_backends: dict[str, list[str]] = {}

    def _emit(self, chat: Chat, event: ChatEvent) -> None:
        for listener in list(self.listeners):
            listener(chat, event)

    # -- registration ------------------------------------------------------------------

    def add_bot(
        self, token: str | None = None, username: str | None = None, first_name: str | None = None
    ) -> BotAccount:
        if token is None:
            bot_id = secrets.randbelow(8_999_999_999) + 1_000_000_000
            token = f"{bot_id}:AA{secrets.token_urlsafe(24)[:33]}"
        bot_id = int(token.split(":", 1)[0])
        if token in self.bots_by_token:
            return self.bots_by_token[token]
        username = username or f"bot{bot_id}_bot"
        bot = BotAccount(bot_id, token, username, first_name or username)
        self.bots[bot_id] = bot
        self.bots_by_token[token] = bot
        if self.default_bot is None:
            self.default_bot = bot
        # Existing groups made before the bot do not include it; private chats are per bot.
        return bot

    def add_user(
        self,
        first_name: str,
        language_code: str | None = "ru",
        username: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> User:
        if user_id is None:
            user_id = next(self._user_ids)
            while user_id in self.users:
                user_id = next(self._user_ids)
        if user_id in self.users:
            return self.users[user_id]
        user = User(user_id, first_name, last_name, username, language_code)
        self.users[user_id] = user
        return user

    def private_chat(self, bot: BotAccount, user: User) -> Chat:
        key = (bot.id, user.id)
        chat = self.private_chats.get(key)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user, bot_id=bot.id, observer=self._emit)
            self.private_chats[key] = chat
        return chat

    def add_group(
        self,
        title: str,
        members: list[User],
        bots: list[BotAccount],
        forum: bool,
        supergroup: bool,
        bot_is_admin: bool,
        username: str | None = None,
        bot_rights: dict[str, bool] | None = None,
    ) -> Chat:
        n = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + n) if supergroup else -(4_000_000_000 + n)
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            is_forum=forum,
            observer=self._emit,
        )
        if forum:
            # Thread id 1 is the General topic; created topics get later message ids.
            chat.next_message_id = 2
        for u in members:
            chat.members[u.id] = "member"
        for b in bots:
            chat.bot_ids.add(b.id)
            if bot_is_admin:
                chat.admin_bot_ids.add(b.id)
                if bot_rights:
                    chat.bot_rights[b.id] = dict(bot_rights)
        self.groups[chat_id] = chat
        return chat

    # -- look-ups ----------------------------------------------------------------

    def resolve_chat(self, bot: BotAccount, chat_id: int | str) -> Chat:
        """The chat a bot addresses by id or @username, with Telegram's errors."""
        if isinstance(chat_id, str):
            name = chat_id.lstrip("@").lower()
            for g in self.groups.values():
                if g.username and g.username.lower() == name:
                    return self._check_group_member(bot, g)
            raise ApiError.bad_request("chat not found")
        if chat_id < 0:
            group = self.groups.get(chat_id)
            if group is None:
                raise ApiError.bad_request("chat not found")
            return self._check_group_member(bot, group)
        user = self.users.get(chat_id)
        if user is None:
            raise ApiError.bad_request("chat not found")
        chat = self.private_chats.get((bot.id, user.id))
        if chat is None:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _check_group_member(self, bot: BotAccount, g: Chat) -> Chat:
        if bot.id not in g.bot_ids:
            kind = "supergroup" if g.type == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        return g

    # -- messages ----------------------------------------------------------------

    def new_message(
        self,
        chat: Chat,
        sender: dict[str, Any],
        content: dict[str, Any],
        thread_id: int | None = None,
        from_bot: bool = True,
        service: bool = False,
        keyboard: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a message (bot's or user's), emit an event, return the Message dict."""
        mid = chat.next_message_id
        chat.next_message_id += 1
        msg: dict[str, Any] = {
            "message_id": mid,
            "from": sender,
            "chat": chat.chat_dict(),
            "date": now(),
        }
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        msg.update(content)
        # Stored messages are never mutated in place (edits store a new dict), so a dict
        # once returned or logged stays a faithful snapshot.
        chat.messages[mid] = msg
        if keyboard is not None:
            chat.keyboards[mid] = keyboard
        chat.add_event("message", msg, from_bot=from_bot, service=service)
        return msg

    def edit_message(
        self,
        chat: Chat,
        old: dict[str, Any],
        changes: dict[str, Any],
        drop: tuple[str, ...] = (),
        from_bot: bool = True,
    ) -> dict[str, Any]:
        """Store an edited copy of ``old`` (``drop`` keys removed, ``changes`` applied,
        ``edit_date`` set), emit an "edit" event, return the new Message dict."""
        new = {k: v for k, v in old.items() if k not in drop}
        new.update(changes)
        new["edit_date"] = now()
        chat.messages[old["message_id"]] = new
        chat.add_event("edit", new, from_bot=from_bot)
        return new

    def new_media_group_id(self) -> str:
        """A fresh album id: like Telegram's, a string of 17 decimal digits."""
        return str(next(self._media_group_ids))

    def chats_of(self, chat_id: int) -> list[Chat]:
        """The chats with this id: a group, or a person's private chats with every bot."""
        if chat_id < 0:
            group = self.groups.get(chat_id)
            return [group] if group is not None else []
        return [c for (_, uid), c in self.private_chats.items() if uid == chat_id]

    def age_messages(
        self, chat_id: int, seconds: int, message_ids: Iterable[int] | None = None
    ) -> int:
        """Make messages of a chat look sent ``seconds`` earlier (``date`` and ``edit_date``
        move back), so tests reach Telegram's time limits — the 48-hour deletion window —
        without sleeping. ``chat_id`` of a person covers their private chats with every bot;
        ``message_ids`` limits it to these messages. Returns how many messages were aged."""
        wanted = list(message_ids) if message_ids is not None else None
        return sum(self.age_chat(chat, seconds, wanted) for chat in self.chats_of(chat_id))

    @staticmethod
    def age_chat(chat: Chat, seconds: int, message_ids: Iterable[int] | None = None) -> int:
        """:meth:`age_messages` for one chat."""
        if seconds < 0:
            raise ValueError("messages can only be made older")
        wanted = set(message_ids) if message_ids is not None else None
        aged = 0
        for mid, msg in list(chat.messages.items()):
            if wanted is not None and mid not in wanted:
                continue
            # A new dict, not an in-place change: returned messages stay snapshots.
            new = {**msg, "date": msg["date"] - int(seconds)}
            if "edit_date" in msg:
                new["edit_date"] = msg["edit_date"] - int(seconds)
            chat.messages[mid] = new
            aged += 1
        return aged

    # -- updates ----------------------------------------------------------------

    def push_update(self, bot: BotAccount, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        bot.next_update_id += 1 if bot.next_update_id else secrets.randbelow(10**6) + 10**8
        update = {"update_id": bot.next_update_id, kind: payload}
        bot.updates.append(update)
        if len(bot.updates) > MAX_PENDING_UPDATES:
            bot.updates.popleft()
        bot.signal.notify()
        return update

    # -- files ----------------------------------------------------------------

    def store_file(
        self, data: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> FileRecord:
        n = next(self._file_ids)
        unique = f"AgAD{n:08d}"
        file_id = f"{kind[:2].upper()}ACAgIAAx{n:08d}{secrets.token_urlsafe(12)}"
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            ext = ".jpg"
        folder = {
            "photo": "photos",
            "document": "documents",
            "voice": "voice",
            "sticker": "stickers",
        }.get(kind, "documents")
        rec = FileRecord(file_id, unique, data, f"{folder}/file_{n}{ext}", mime_type, file_name)
        self.files[file_id] = rec
        self.files_by_path[rec.file_path] = rec
        return rec

    def clear_chats(self) -> None:
        """Forget every message, topic, file, callback and pending update, keeping the
        people, groups and bots: a rehearsal starts over with the same cast."""
        for chat in [*self.private_chats.values(), *self.groups.values()]:
            # Events stay: they are an append-only log a terminal chat follows by cursor.
            chat.messages.clear()
            chat.topics.clear()
            chat.pinned.clear()
            chat.keyboards.clear()
            chat.next_message_id = 2 if chat.is_forum else 1
            chat.signal.notify()
        for bot in self.bots.values():
            bot.updates.clear()
        self.files.clear()
        self.files_by_path.clear()
        self.callbacks.clear()

    def wake_all(self) -> None:
        """Stop every long poll and waiter (shutdown)."""
        self.closing = True
        for bot in self.bots.values():
            bot.signal.notify()
        for chat in [*self.private_chats.values(), *self.groups.values()]:
            chat.signal.notify()
