"""Behaviour of the Bot API methods the emulator models (the rest: validated, then a
minimal valid answer of the declared return type).

Each handler is ``async def m_<lowercase method name>(self, bot, p)`` where ``p`` holds the
parameters already validated and normalised by :mod:`sandbox.spec`. Errors are raised as
:class:`ApiError` with Telegram's own description texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import mimetypes
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from sandbox.faults import RateLimiter
from sandbox.html import EntityParseError, parse_html, parse_markdown_lenient, utf16_len
from sandbox.spec import ApiSpec, Upload
from sandbox.state import (
    ApiError,
    BotAccount,
    Chat,
    FileRecord,
    Topic,
    WebhookConfig,
    World,
    now,
)

log = logging.getLogger(__name__)

__all__ = ["BotApi"]

Handler = Callable[[BotAccount, dict[str, Any]], Awaitable[Any]]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
INLINE_BUTTONS_LIMIT = 100
INLINE_ROW_LIMIT = 8
TOPIC_NAME_LIMIT = 128

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "disabled",
)
# ChatMember subtypes by status.
MEMBER_TYPES = {
    "creator": "ChatMemberOwner",
    "administrator": "ChatMemberAdministrator",
    "member": "ChatMemberMember",
    "restricted": "ChatMemberRestricted",
    "left": "ChatMemberLeft",
    "kicked": "ChatMemberBanned",
}
# Optional administrator rights say in prose which chats they apply to.
_RIGHT_SCOPES: tuple[tuple[str, frozenset[str]], ...] = (
    ("for channels only", frozenset({"channel"})),
    ("for supergroups only", frozenset({"supergroup"})),
    ("for groups and supergroups only", frozenset({"group", "supergroup"})),
)
_CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "voice",
    "sticker",
    "video",
    "audio",
    "animation",
    "video_note",
    "contact",
    "location",
    "venue",
    "poll",
    "dice",
)
_MEDIA_KINDS = (
    "photo",
    "document",
    "video",
    "audio",
    "voice",
    "animation",
    "sticker",
    "video_note",
)
# Service messages by content key; in a supergroup those of _UNDELETABLE_KEYS (creation,
# migration, topic creation) can't be deleted at all.
_UNDELETABLE_KEYS = (
    "forum_topic_created",
    "group_chat_created",
    "supergroup_chat_created",
    "channel_chat_created",
    "migrate_from_chat_id",
)
_SERVICE_KEYS = (
    *_UNDELETABLE_KEYS,
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "general_forum_topic_hidden",
    "general_forum_topic_unhidden",
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "new_chat_photo",
    "delete_chat_photo",
    "pinned_message",
    "migrate_to_chat_id",
)
DELETE_WINDOW_SECONDS = 48 * 3600
DICE_KEEP_SECONDS = 24 * 3600
CANT_DELETE = "message can't be deleted"
CANT_DELETE_FOR_EVERYONE = "message can't be deleted for everyone"
ALBUM_MIN, ALBUM_MAX = 2, 10
_ALBUM_KINDS = ("photo", "video", "document", "audio")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_DEFAULT_TOPIC_COLOR = 7322096


def _bad(detail: str) -> ApiError:
    return ApiError.bad_request(detail)


class BotApi:
    """Executes validated calls against the :class:`World`."""

    def __init__(
        self, world: World, spec: ApiSpec, limiter: RateLimiter, callback_timeout: float = 15.0
    ) -> None:
        self.world = world
        self.spec = spec
        self.limiter = limiter
        self.callback_timeout = callback_timeout
        self._http: aiohttp.ClientSession | None = None
        self.handlers: dict[str, Handler] = {
            name[2:]: getattr(self, name) for name in dir(self) if name.startswith("m_")
        }

    async def close(self) -> None:
        for bot in self.world.bots.values():
            if bot.webhook is not None and bot.webhook.task is not None:
                bot.webhook.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await bot.webhook.task
        if self._http is not None:
            await self._http.close()

    async def execute(self, bot: BotAccount, method: str, params: dict[str, Any]) -> Any:
        handler = self.handlers.get(method.lower())
        if handler is not None:
            return await handler(bot, params)
        return self._generic(method, params)

    def _generic(self, method: str, params: dict[str, Any]) -> Any:
        """Unmodelled method: a minimal valid object of its declared return type."""
        spec = self.spec.method(method)
        returns = spec.returns if spec is not None else ["Boolean"]
        if "Boolean" in returns:
            return True
        return self.spec.minimal(returns[0])

    # == helpers =======================================================================

    def _chat(self, bot: BotAccount, p: dict[str, Any], key: str = "chat_id") -> Chat:
        chat = self.world.resolve_chat(bot, p[key])
        return chat

    def _writable_chat(self, bot: BotAccount, p: dict[str, Any]) -> Chat:
        chat = self._chat(bot, p)
        if chat.type == "private" and chat.user is not None and bot.id in chat.user.blocked_bots:
            raise ApiError(403, BLOCKED)
        return chat

    @staticmethod
    def _formatted(
        text: str,
        parse_mode: str | None,
        entities: list[dict[str, Any]] | None,
    ) -> tuple[str, list[dict[str, Any]]]:
        if parse_mode:
            mode = parse_mode.lower()
            try:
                if mode == "html":
                    return parse_html(text)
                if mode in ("markdownv2", "markdown"):
                    return parse_markdown_lenient(text)
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
            raise _bad(f'unsupported parse_mode "{parse_mode}"')
        ents = list(entities or [])
        size = utf16_len(text)
        for e in ents:
            if e["offset"] < 0 or e["length"] < 0 or e["offset"] + e["length"] > size:
                raise _bad("can't parse entities: entity beyond the end of text")
        return text, ents

    def _text(self, p: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text, ents = self._formatted(p["text"], p.get("parse_mode"), p.get("entities"))
        if not text.strip():
            raise _bad("message text is empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise _bad("message is too long")
        return text, ents

    def _caption(self, p: dict[str, Any]) -> dict[str, Any]:
        caption = p.get("caption")
        if not caption:
            return {}
        text, ents = self._formatted(caption, p.get("parse_mode"), p.get("caption_entities"))
        if utf16_len(text) > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        out: dict[str, Any] = {"caption": text}
        if ents:
            out["caption_entities"] = ents
        return out

    @staticmethod
    def _markup(p: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(inline markup for Message.reply_markup, other keyboard) after the prose limits."""
        markup = p.get("reply_markup")
        if markup is None:
            return None, None
        if "inline_keyboard" in markup:
            check_inline_keyboard(markup)
            return markup, None
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    if not str(button.get("text", "")).strip():
                        raise _bad(
                            "can't parse reply keyboard markup JSON object: "
                            "keyboard button text is empty"
                        )
        return None, markup

    def _thread(
        self,
        chat: Chat,
        p: dict[str, Any],
        reply_to: dict[str, Any] | None,
    ) -> int | None:
        tid: int | None = p.get("message_thread_id")
        if not chat.is_forum:
            return None
        if tid is None and reply_to is not None:
            tid = reply_to.get("message_thread_id")
        if tid is None or tid == 1:  # 1 = the General topic
            return None
        topic = chat.topics.get(tid)
        if topic is None:
            raise _bad("message thread not found")
        if topic.closed:
            raise _bad("TOPIC_CLOSED")
        return tid

    @staticmethod
    def _reply_to(chat: Chat, p: dict[str, Any]) -> dict[str, Any] | None:
        rp = p.get("reply_parameters")
        mid: int | None
        if rp is not None:
            mid = rp.get("message_id")
            allow = bool(rp.get("allow_sending_without_reply"))
        else:
            mid = p.get("reply_to_message_id")
            allow = bool(p.get("allow_sending_without_reply"))
        if mid is None:
            return None
        target = chat.messages.get(mid)
        if target is None:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _send(
        self, bot: BotAccount, p: dict[str, Any], content: dict[str, Any], chat: Chat | None = None
    ) -> dict[str, Any]:
        """Common tail of every send*: reply, topic, rate limit, keyboard, store."""
        chat = chat or self._writable_chat(bot, p)
        reply_to = self._reply_to(chat, p)
        tid = self._thread(chat, p, reply_to)
        inline, keyboard = self._markup(p)
        self.limiter.check(bot.id, chat.id, chat.type != "private")
        if reply_to is not None:
            content = {**content, "reply_to_message": reply_to}
        if inline is not None:
            content = {**content, "reply_markup": inline}
        if p.get("protect_content"):
            content = {**content, "has_protected_content": True}
        return self.world.new_message(chat, bot.user_dict(), content, tid, keyboard=keyboard)

    def _find(
        self, bot: BotAccount, p: dict[str, Any], missing: str
    ) -> tuple[Chat, dict[str, Any]]:
        if "chat_id" not in p or "message_id" not in p:
            raise _bad("message identifier is not specified")
        chat = self._chat(bot, p)
        msg = chat.messages.get(p["message_id"])
        if msg is None:
            raise _bad(missing)
        return chat, msg

    def _store_edit(
        self, chat: Chat, old: dict[str, Any], changes: dict[str, Any], drop: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        return self.world.edit_message(chat, old, changes, drop, from_bot=True)

    def file_from(self, value: Upload | str, kind: str) -> FileRecord:
        """An InputFile value → a stored file (upload, known file_id, or URL)."""
        if isinstance(value, Upload):
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                # Clients (aiogram) send a generic type; Telegram guesses from the name.
                mime = mimetypes.guess_type(value.filename or "")[0] or mime
            return self.world.store_file(value.data, kind, value.filename or None, mime or None)
        rec = self.world.files.get(value)
        if rec is not None:
            return rec
        if value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            return self.world.store_file(b"", kind, name, None)
        raise _bad("wrong file identifier/HTTP URL specified")

    @staticmethod
    def media_object(rec: FileRecord, kind: str) -> Any:
        base: dict[str, Any] = {
            "file_id": rec.file_id,
            "file_unique_id": rec.file_unique_id,
            "file_size": len(rec.data),
        }
        if kind == "photo":
            return [{**base, "width": 1280, "height": 960}]
        if kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        if kind in ("video", "animation"):
            return {**base, "width": 640, "height": 480, "duration": 1}
        if kind == "video_note":
            return {**base, "length": 240, "duration": 1}
        if kind in ("voice", "audio"):
            base["duration"] = 1
        if rec.file_name and kind in ("document", "audio", "video", "animation"):
            base["file_name"] = rec.file_name
        if rec.mime_type:
            base["mime_type"] = rec.mime_type
        return base

    async def _media(self, bot: BotAccount, p: dict[str, Any], kind: str) -> dict[str, Any]:
        chat = self._writable_chat(bot, p)
        caption = self._caption(p)  # checked before the upload is stored
        rec = self.file_from(p[kind], kind)
        return self._send(bot, p, {kind: self.media_object(rec, kind), **caption}, chat)

    # == identity ======================================================================

    async def m_getme(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return bot.me()

    async def m_logout(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return True

    async def m_close(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return True

    # == updates =======================================================================

    async def m_getupdates(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        if bot.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = p.get("limit", 100)
        limit = min(max(limit, 1), 100)
        timeout = max(0, p.get("timeout", 0))
        if "allowed_updates" in p:
            allowed = p["allowed_updates"]
            bot.allowed_updates = set(allowed) if allowed else None
        # A newer getUpdates supersedes this one (Telegram: 409 "terminated by other ...").
        bot.poll_generation += 1
        generation = bot.poll_generation
        bot.signal.notify()
        offset = p.get("offset")
        if offset is not None:
            _confirm(bot, offset)
        deadline = time.monotonic() + timeout
        while True:
            batch = _pending(bot, limit)
            if batch or self.world.closing:
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await bot.signal.wait(remaining)
            if bot.poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make "
                    "sure that only one bot instance is running",
                )
            if bot.webhook is not None:
                return []

    async def m_setwebhook(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        url: str = p["url"]
        if not url:
            return await self.m_deletewebhook(bot, p)
        if not url.startswith(("http://", "https://")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        allowed = p.get("allowed_updates")
        if allowed is not None:
            bot.allowed_updates = set(allowed) if allowed else None
        if p.get("drop_pending_updates"):
            bot.updates.clear()
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        old = bot.webhook
        bot.webhook = WebhookConfig(url, secret, p.get("max_connections", 40))
        if old is not None and old.task is not None:
            old.task.cancel()
        bot.webhook.task = asyncio.create_task(self._deliver(bot, bot.webhook))
        bot.signal.notify()  # a pending getUpdates returns
        return True

    async def m_deletewebhook(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        if p.get("drop_pending_updates"):
            bot.updates.clear()
        hook = bot.webhook
        bot.webhook = None
        if hook is not None and hook.task is not None:
            hook.task.cancel()
        return True

    async def m_getwebhookinfo(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        hook = bot.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
            if bot.allowed_updates is not None:
                info["allowed_updates"] = sorted(bot.allowed_updates)
        return info

    async def _deliver(self, bot: BotAccount, hook: WebhookConfig) -> None:
        """POST pending updates in order, one at a time — or, behind a balancing proxy, one
        to each of its backends at once, in turn; retry failures with a backoff."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        turn = itertools.count()
        backoff = 0.05
        while bot.webhook is hook and not self.world.closing:
            targets = self.world.webhook_backends.get(hook.url) or [hook.url]
            batch = _pending(bot, min(len(targets), hook.max_connections))
            if not batch:
                await bot.signal.wait(None)
                continue
            sent = [targets[next(turn) % len(targets)] for _ in batch]
            results = await asyncio.gather(
                *(self._post(url, update, headers) for url, update in zip(sent, batch, strict=True))
            )
            delivered = [u for u, (ok, _) in zip(batch, results, strict=True) if ok]
            if delivered:
                kept = [u for u in bot.updates if not any(u is d for d in delivered)]
                bot.updates.clear()
                bot.updates.extend(kept)
            errors = [error for ok, error in results if not ok]
            if not errors:
                backoff = 0.05
                continue
            hook.last_error_date = now()
            hook.last_error_message = errors[0]
            await asyncio.sleep(backoff)  # retry delay, not a polling step
            backoff = min(backoff * 2, 2.0)

    async def _post(
        self, url: str, update: dict[str, Any], headers: dict[str, str]
    ) -> tuple[bool, str]:
        assert self._http is not None
        try:
            async with self._http.post(url, data=json.dumps(update), headers=headers) as resp:
                if 200 <= resp.status < 300:
                    return True, ""
                return False, f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return False, f"Connection failed: {exc.__class__.__name__}"

    # == commands ======================================================================

    @staticmethod
    def _scope_key(p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), p.get("language_code") or ""

    async def m_setmycommands(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        commands = p["commands"]
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for c in commands:
            if not _COMMAND_RE.fullmatch(c["command"]):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(c["description"]) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands[self._scope_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def m_getmycommands(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return bot.commands.get(self._scope_key(p), [])

    async def m_deletemycommands(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        bot.commands.pop(self._scope_key(p), None)
        return True

    # == sending =======================================================================

    async def m_sendmessage(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._writable_chat(bot, p)
        text, ents = self._text(p)
        content: dict[str, Any] = {"text": text}
        if ents:
            content["entities"] = ents
        return self._send(bot, p, content, chat)

    async def m_sendphoto(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return await self._media(bot, p, "photo")

    async def m_senddocument(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return await self._media(bot, p, "document")

    async def m_sendvideo(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return await self._media(bot, p, "video")

    async def m_sendaudio(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return await self._media(bot, p, "audio")

    async def m_sendvoice(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return await self._media(bot, p, "voice")

    async def m_sendanimation(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return await self._media(bot, p, "animation")

    async def m_sendsticker(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return await self._media(bot, p, "sticker")

    async def m_sendvideonote(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return await self._media(bot, p, "video_note")

    async def m_sendmediagroup(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        """An album: one message per item, all sharing a ``media_group_id``."""
        chat = self._writable_chat(bot, p)
        items: list[dict[str, Any]] = p["media"]
        if not items:
            raise _bad("there are no messages to send")
        if len(items) > ALBUM_MAX:
            raise _bad("too many messages to send as an album")
        if len(items) < ALBUM_MIN:
            # The docs: "must include 2-10 items" (the server lets one through, as a plain
            # message without media_group_id; the emulator holds the bot to the docs).
            raise _bad("media group must include 2-10 items")
        kinds = [str(item["type"]) for item in items]
        for kind in kinds:
            if kind not in _ALBUM_KINDS:
                raise _bad(f'media of type "{kind}" is not modelled in albums by the sandbox')
        for kind in ("document", "audio"):
            if kind in kinds and len(set(kinds)) > 1:
                raise _bad(f"{kind} can't be mixed with other media types")
        if len({bool(item.get("show_caption_above_media")) for item in items}) > 1:
            raise _bad("parameter show_caption_above_media must be the same for all messages")
        reply_to = self._reply_to(chat, p)
        tid = self._thread(chat, p, reply_to)
        # Everything is checked before the first message of the album is stored.
        captions = [self._caption(item) for item in items]
        files = [
            self.file_from(item["media"], kind) for item, kind in zip(items, kinds, strict=True)
        ]
        self.limiter.check(bot.id, chat.id, chat.type != "private")
        group_id = self.world.new_media_group_id()
        sent = []
        for kind, rec, caption in zip(kinds, files, captions, strict=True):
            content: dict[str, Any] = {
                "media_group_id": group_id,
                kind: self.media_object(rec, kind),
                **caption,
            }
            if reply_to is not None:
                content["reply_to_message"] = reply_to
            if p.get("protect_content"):
                content["has_protected_content"] = True
            sent.append(self.world.new_message(chat, bot.user_dict(), content, tid))
        return sent

    async def m_sendcontact(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        contact = {k: p[k] for k in ("phone_number", "first_name", "last_name") if k in p}
        return self._send(bot, p, {"contact": contact})

    async def m_sendlocation(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return self._send(
            bot, p, {"location": {"latitude": p["latitude"], "longitude": p["longitude"]}}
        )

    async def m_senddice(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return self._send(
            bot, p, {"dice": {"emoji": p.get("emoji", "🎲"), "value": secrets.randbelow(6) + 1}}
        )

    async def m_sendchataction(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        self._writable_chat(bot, p)
        return True

    async def m_forwardmessage(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        src = self.world.resolve_chat(bot, p["from_chat_id"])
        msg = src.messages.get(p["message_id"])
        if msg is None:
            raise _bad("message to forward not found")
        content = {k: msg[k] for k in _CONTENT_KEYS if k in msg}
        if src.type == "private":
            origin: dict[str, Any] = {
                "type": "user",
                "date": msg["date"],
                "sender_user": msg["from"],
            }
        else:
            origin = {"type": "chat", "date": msg["date"], "sender_chat": src.chat_dict()}
        content["forward_origin"] = origin
        return self._send(bot, p, content)

    def _copy(self, bot: BotAccount, p: dict[str, Any], group_id: str | None = None) -> Any:
        src = self.world.resolve_chat(bot, p["from_chat_id"])
        msg = src.messages.get(p["message_id"])
        if msg is None:
            raise _bad("message to copy not found")
        content = {k: msg[k] for k in _CONTENT_KEYS if k in msg}
        if not content:
            raise _bad("message can't be copied")
        if "caption" in p or p.get("remove_caption"):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption(p))
        if group_id is not None:
            content["media_group_id"] = group_id
        new = self._send(bot, p, content)
        return {"message_id": new["message_id"]}

    async def m_copymessage(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return self._copy(bot, p)

    async def m_copymessages(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        """Copies keep albums together: messages of one album copied in the same call share
        a new ``media_group_id``."""
        src = self.world.resolve_chat(bot, p["from_chat_id"])
        albums: dict[str, list[int]] = {}
        for mid in p["message_ids"]:
            gid = src.messages.get(mid, {}).get("media_group_id")
            if gid is not None:
                albums.setdefault(gid, []).append(mid)
        new_ids = {
            gid: self.world.new_media_group_id() for gid, ids in albums.items() if len(ids) > 1
        }
        out = []
        for mid in p["message_ids"]:
            gid = src.messages.get(mid, {}).get("media_group_id")
            with contextlib.suppress(ApiError):
                out.append(self._copy(bot, {**p, "message_id": mid}, new_ids.get(gid or "")))
        return out

    # == editing =======================================================================

    async def m_editmessagetext(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        if "inline_message_id" in p:
            return True
        chat, msg = self._find(bot, p, "message to edit not found")
        if msg["from"].get("id") != bot.id:
            raise _bad("message can't be edited")
        if "text" not in msg:
            raise _bad("there is no text in the message to edit")
        text, ents = self._text(p)
        inline, _ = self._markup(p)
        if (
            text == msg["text"]
            and ents == msg.get("entities", [])
            and inline == msg.get("reply_markup")
        ):
            raise _bad(NOT_MODIFIED)
        changes: dict[str, Any] = {"text": text}
        if ents:
            changes["entities"] = ents
        if inline is not None:
            changes["reply_markup"] = inline
        # Telegram drops the inline keyboard when an edit does not repeat it.
        return self._store_edit(chat, msg, changes, drop=("entities", "reply_markup"))

    async def m_editmessagecaption(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        if "inline_message_id" in p:
            return True
        chat, msg = self._find(bot, p, "message to edit not found")
        if msg["from"].get("id") != bot.id:
            raise _bad("message can't be edited")
        if not any(k in msg for k in _MEDIA_KINDS):
            raise _bad("there is no caption in the message to edit")
        caption = self._caption(p)
        inline, _ = self._markup(p)
        if (
            caption.get("caption") == msg.get("caption")
            and caption.get("caption_entities") == msg.get("caption_entities")
            and inline == msg.get("reply_markup")
        ):
            raise _bad(NOT_MODIFIED)
        if inline is not None:
            caption["reply_markup"] = inline
        return self._store_edit(
            chat, msg, caption, drop=("caption", "caption_entities", "reply_markup")
        )

    async def m_editmessagereplymarkup(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        if "inline_message_id" in p:
            return True
        chat, msg = self._find(bot, p, "message to edit not found")
        if msg["from"].get("id") != bot.id:
            raise _bad("message can't be edited")
        inline, _ = self._markup(p)
        if inline == msg.get("reply_markup"):
            raise _bad(NOT_MODIFIED)
        changes = {"reply_markup": inline} if inline is not None else {}
        return self._store_edit(chat, msg, changes, drop=("reply_markup",))

    def _right(self, bot: BotAccount, chat: Chat, name: str) -> bool:
        """Whether the bot is an administrator of ``chat`` holding right ``name``."""
        if bot.id not in chat.admin_bot_ids:
            return False
        return chat.bot_rights.get(bot.id, {}).get(name, True)

    def _deletion_refusal(self, bot: BotAccount, chat: Chat, msg: dict[str, Any]) -> str | None:
        """Why the bot may not delete ``msg`` (Telegram's error detail), or None.

        The Bot API docs of deleteMessage in prose; the details (and the error texts) are
        TDLib's ``can_delete_message`` / ``can_revoke_message`` for a bot: private chats and
        basic groups allow deletion for everyone up to 48 hours after sending, supergroups
        refuse bots from 48 hours on; a dice in a private chat stays for its first 24 hours.
        """
        age = now() - int(msg["date"])
        outgoing = msg.get("from", {}).get("id") == bot.id
        service = any(k in msg for k in _SERVICE_KEYS)
        if chat.type == "private":
            if "dice" in msg and age < DICE_KEEP_SECONDS:
                return CANT_DELETE_FOR_EVERYONE
            if (outgoing and service) or age > DELETE_WINDOW_SECONDS:
                return CANT_DELETE_FOR_EVERYONE
            return None  # the bot's own messages and the person's alike
        admin = bot.id in chat.admin_bot_ids
        if chat.type == "group":
            # Any administrator of a basic group may delete any message.
            if not ((outgoing and not service) or admin) or age > DELETE_WINDOW_SECONDS:
                return CANT_DELETE_FOR_EVERYONE
            return None
        if age >= DELETE_WINDOW_SECONDS or any(k in msg for k in _UNDELETABLE_KEYS):
            return CANT_DELETE
        if self._right(bot, chat, "can_delete_messages"):
            return None
        if not outgoing or (service and not admin):
            return CANT_DELETE
        return None

    @staticmethod
    def _remove(chat: Chat, msg: dict[str, Any]) -> None:
        mid = msg["message_id"]
        del chat.messages[mid]
        chat.keyboards.pop(mid, None)
        if mid in chat.pinned:
            chat.pinned.remove(mid)
        chat.add_event("delete", msg, from_bot=True)

    async def m_deletemessage(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p)
        msg = chat.messages.get(p["message_id"])
        if msg is None:
            raise _bad("message to delete not found")
        refusal = self._deletion_refusal(bot, chat, msg)
        if refusal is not None:
            raise _bad(refusal)
        self._remove(chat, msg)
        return True

    async def m_deletemessages(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        """Messages that are not found are skipped; but if any found one may not be deleted,
        the call fails and deletes nothing (TDLib checks them all before deleting any)."""
        ids = p["message_ids"]
        if not ids:
            raise _bad("message identifiers are not specified")
        if len(ids) > 100:
            raise _bad("too many message identifiers specified")
        chat = self._chat(bot, p)
        found = [chat.messages[mid] for mid in dict.fromkeys(ids) if mid in chat.messages]
        for msg in found:
            refusal = self._deletion_refusal(bot, chat, msg)
            if refusal is not None:
                raise _bad(refusal)
        for msg in found:
            self._remove(chat, msg)
        return True

    # == chats =========================================================================

    async def m_getchat(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p)
        info = self.spec.minimal("ChatFullInfo")
        info.update(chat.chat_dict())
        info["max_reaction_count"] = 11
        if chat.pinned:
            pinned = chat.messages.get(chat.pinned[-1])
            if pinned is not None:
                info["pinned_message"] = pinned
        return info

    def admin_rights(self, chat_type: str) -> dict[str, bool]:
        """Every administrator right (the ``can_*`` fields of ChatMemberAdministrator but
        ``can_be_edited``) that applies to a chat of this type, all granted; the optional ones
        name their chat types in their descriptions ("for channels only")."""
        out: dict[str, bool] = {}
        for f in self.spec.types["ChatMemberAdministrator"].get("fields", []):
            name = f["name"]
            if not name.startswith("can_") or name == "can_be_edited":
                continue
            text = f.get("description", "")
            scope = next((types for phrase, types in _RIGHT_SCOPES if phrase in text), None)
            if scope is None or chat_type in scope:
                out[name] = True
        return out

    def member_object(
        self,
        chat: Chat,
        status: str,
        user: dict[str, Any],
        rights: dict[str, bool] | None = None,
    ) -> dict[str, Any]:
        """A ChatMember of ``status`` with every field the spec requires. An administrator
        holds every right of the chat type but those ``rights`` take away; a restricted member
        may do nothing, for ever (until_date 0), and a banned one is banned for ever."""
        type_name = MEMBER_TYPES.get(status)
        if type_name is None:
            raise ValueError(f"unknown chat member status: {status!r}")
        member: dict[str, Any] = self.spec.minimal(type_name)
        member["user"] = user
        if status == "administrator":
            member.update(self.admin_rights(chat.type))
            member.update({"can_be_edited": False, "is_anonymous": False, **(rights or {})})
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "restricted":
            member.update({k: False for k in member if k.startswith("can_")})
            member.update({"is_member": True, "until_date": 0})
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _member(self, bot: BotAccount, chat: Chat, user_id: int) -> dict[str, Any]:
        if user_id == bot.id:
            if chat.type != "private" and bot.id in chat.admin_bot_ids:
                # Telegram's default for a bot made administrator: all but adding admins.
                rights = {"can_promote_members": False, **chat.bot_rights.get(bot.id, {})}
                return self.member_object(chat, "administrator", bot.user_dict(), rights)
            return self.member_object(chat, "member", bot.user_dict())
        user = self.world.users.get(user_id)
        if user is None:
            raise _bad("user not found")
        if chat.type == "private":
            if chat.id != user_id:
                raise _bad("user not found")
            return self.member_object(chat, "member", user.user_dict())
        status = chat.members.get(user_id, "left")
        return self.member_object(chat, status, user.user_dict())

    async def m_getchatmember(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return self._member(bot, self._chat(bot, p), p["user_id"])

    async def m_getchatadministrators(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p)
        out = [
            self._member(bot, chat, uid)
            for uid, st in chat.members.items()
            if st in ("administrator", "creator")
        ]
        if bot.id in chat.admin_bot_ids:
            out.append(self._member(bot, chat, bot.id))
        return out

    async def m_getchatmembercount(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p)
        if chat.type == "private":
            return 2
        return len(chat.members) + len(chat.bot_ids)

    async def m_leavechat(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p)
        chat.bot_ids.discard(bot.id)
        return True

    def _need_admin(self, bot: BotAccount, chat: Chat, what: str) -> None:
        if chat.type != "private" and bot.id not in chat.admin_bot_ids:
            raise _bad(f"not enough rights to {what}")

    async def m_pinchatmessage(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p)
        self._need_admin(bot, chat, "manage pinned messages in the chat")
        if p["message_id"] not in chat.messages:
            raise _bad("message to pin not found")
        if p["message_id"] in chat.pinned:
            chat.pinned.remove(p["message_id"])
        chat.pinned.append(p["message_id"])
        return True

    async def m_unpinchatmessage(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p)
        self._need_admin(bot, chat, "manage pinned messages in the chat")
        mid = p.get("message_id")
        if mid is None:
            if chat.pinned:
                chat.pinned.pop()
        elif mid in chat.pinned:
            chat.pinned.remove(mid)
        else:
            raise _bad("message to unpin not found")
        return True

    async def m_unpinallchatmessages(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._chat(bot, p)
        chat.pinned.clear()
        return True

    # == files =========================================================================

    async def m_getfile(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        rec = self.world.files.get(p["file_id"])
        if rec is None:
            raise _bad("invalid file_id")
        return {
            "file_id": rec.file_id,
            "file_unique_id": rec.file_unique_id,
            "file_size": len(rec.data),
            "file_path": rec.file_path,
        }

    # == callback queries ==============================================================

    async def m_answercallbackquery(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        cb = self.world.callbacks.get(p["callback_query_id"])
        if (
            cb is None
            or cb.bot_id != bot.id
            or cb.answer is not None
            or time.monotonic() - cb.created > self.callback_timeout
        ):
            raise _bad(QUERY_TOO_OLD)
        text = p.get("text")
        if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
            raise _bad("MESSAGE_TOO_LONG")
        cb.answer = {
            "text": text,
            "show_alert": bool(p.get("show_alert")),
            "url": p.get("url"),
            "cache_time": p.get("cache_time", 0),
        }
        cb.signal.notify()
        return True

    # == forum topics ==================================================================

    def _forum(self, bot: BotAccount, p: dict[str, Any], need_admin: bool = True) -> Chat:
        chat = self._chat(bot, p)
        if chat.type != "supergroup" or not chat.is_forum:
            raise _bad("the chat is not a forum")
        if need_admin and bot.id not in chat.admin_bot_ids:
            raise _bad("not enough rights to manage topics")
        return chat

    @staticmethod
    def _topic(chat: Chat, p: dict[str, Any]) -> Topic:
        topic = chat.topics.get(p["message_thread_id"])
        if topic is None:
            raise _bad("TOPIC_ID_INVALID")
        return topic

    @staticmethod
    def _topic_name(name: str) -> str:
        if not name.strip():
            raise _bad("TOPIC_TITLE_EMPTY")
        if len(name) > TOPIC_NAME_LIMIT:
            raise _bad("TOPIC_TITLE_INVALID")
        return name

    def _service(self, bot: BotAccount, chat: Chat, tid: int, content: dict[str, Any]) -> None:
        self.world.new_message(chat, bot.user_dict(), content, tid, service=True)

    async def m_createforumtopic(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._forum(bot, p)
        name = self._topic_name(p["name"])
        color = p.get("icon_color", _DEFAULT_TOPIC_COLOR)
        tid = chat.next_message_id  # the topic id is the id of its creation message
        created: dict[str, Any] = {"name": name, "icon_color": color}
        if p.get("icon_custom_emoji_id"):
            created["icon_custom_emoji_id"] = p["icon_custom_emoji_id"]
        chat.topics[tid] = Topic(
            tid, name, color, icon_custom_emoji_id=p.get("icon_custom_emoji_id")
        )
        self._service(bot, chat, tid, {"forum_topic_created": created})
        return {"message_thread_id": tid, **created}

    async def m_editforumtopic(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._forum(bot, p)
        topic = self._topic(chat, p)
        edited: dict[str, Any] = {}
        if "name" in p and p["name"] != topic.name:
            topic.name = edited["name"] = self._topic_name(p["name"])
        if "icon_custom_emoji_id" in p and p["icon_custom_emoji_id"] != topic.icon_custom_emoji_id:
            topic.icon_custom_emoji_id = edited["icon_custom_emoji_id"] = p["icon_custom_emoji_id"]
        if not edited:
            raise _bad("TOPIC_NOT_MODIFIED")
        self._service(bot, chat, topic.thread_id, {"forum_topic_edited": edited})
        return True

    async def m_closeforumtopic(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._forum(bot, p)
        topic = self._topic(chat, p)
        if topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        self._service(bot, chat, topic.thread_id, {"forum_topic_closed": {}})
        topic.closed = True
        return True

    async def m_reopenforumtopic(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._forum(bot, p)
        topic = self._topic(chat, p)
        if not topic.closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic.closed = False
        self._service(bot, chat, topic.thread_id, {"forum_topic_reopened": {}})
        return True

    async def m_deleteforumtopic(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._forum(bot, p)
        topic = self._topic(chat, p)
        del chat.topics[topic.thread_id]
        for mid, msg in list(chat.messages.items()):
            if msg.get("message_thread_id") == topic.thread_id:
                del chat.messages[mid]
                chat.add_event("delete", msg, from_bot=True)
        return True

    async def m_unpinallforumtopicmessages(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        chat = self._forum(bot, p, need_admin=False)
        self._topic(chat, p)
        return True

    async def m_getforumtopiciconstickers(self, bot: BotAccount, p: dict[str, Any]) -> Any:
        return []


def check_inline_keyboard(markup: dict[str, Any]) -> None:
    """The limits Telegram enforces on inline keyboards but the spec states only in prose."""
    rows = markup["inline_keyboard"]
    total = 0
    for row in rows:
        if len(row) > INLINE_ROW_LIMIT:
            raise _bad("BUTTONS_TOO_MUCH")
        total += len(row)
        for button in row:
            if not str(button.get("text", "")).strip():
                raise _bad(
                    "BUTTON_TEXT_INVALID"
                    if "text" in button
                    else 'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [a for a in _INLINE_ACTIONS if button.get(a) is not None]
            if not actions:
                raise _bad(
                    "can't parse inline keyboard button: Text buttons are unallowed "
                    "in the inline keyboard"
                )
            if len(actions) > 1:
                raise _bad(
                    "can't parse inline keyboard button: exactly one of the optional "
                    "fields must be used"
                )
            if "callback_data" in actions:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= CALLBACK_DATA_LIMIT:
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in actions and not re.match(r"(https?|tg)://\S+$", button["url"]):
                raise _bad(f"inline keyboard button URL '{button['url']}' is invalid")
    if total > INLINE_BUTTONS_LIMIT:
        raise _bad("BUTTONS_TOO_MUCH")


def _confirm(bot: BotAccount, offset: int) -> None:
    """getUpdates offset: drop confirmed updates (negative: keep the last -offset)."""
    if offset < 0:
        while len(bot.updates) > -offset:
            bot.updates.popleft()
        return
    if bot.resent:  # a re-queued update stays until it is handed out again
        kept = [u for u in bot.updates if u["update_id"] >= offset or _resent(bot, u)]
        bot.updates.clear()
        bot.updates.extend(kept)
        return
    while bot.updates and bot.updates[0]["update_id"] < offset:
        bot.updates.popleft()


def _resent(bot: BotAccount, update: dict[str, Any]) -> bool:
    return any(r is update for r in bot.resent)


def _pending(bot: BotAccount, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` pending updates the bot wants; unwanted ones are discarded."""
    out: list[dict[str, Any]] = []
    unwanted = False
    for u in bot.updates:
        if bot.wants(u):
            out.append(u)
            if _resent(bot, u):
                bot.resent = [r for r in bot.resent if r is not u]
            if len(out) >= limit:
                break
        else:
            unwanted = True
    if unwanted:
        kept = [u for u in bot.updates if bot.wants(u)]
        bot.updates.clear()
        bot.updates.extend(kept)
    return out
