"""The emulated world on disk, so a rehearsal survives a restart of `make run`: people,
groups, topics, the messages as they are now (after edits and deletions), their reply
keyboards and files. Pending updates and callback queries are not kept: the bot handles
what it got before it stopped, and a button pressed again sends a new query."""

from __future__ import annotations

import base64
import itertools
import json
import os
from pathlib import Path
from typing import Any

from sandbox.state import Chat, FileRecord, Topic, World

__all__ = ["dump_world", "load_world", "read_world", "write_world"]

FORMAT = 1


def _chat_contents(chat: Chat) -> dict[str, Any]:
    return {
        "next_message_id": chat.next_message_id,
        "messages": [chat.messages[mid] for mid in sorted(chat.messages)],
        "keyboards": {str(mid): kb for mid, kb in chat.keyboards.items()},
        "pinned": chat.pinned,
    }


def _restore_contents(chat: Chat, data: dict[str, Any]) -> None:
    chat.next_message_id = int(data["next_message_id"])
    chat.messages = {int(m["message_id"]): m for m in data["messages"]}
    chat.keyboards = {int(mid): kb for mid, kb in data["keyboards"].items()}
    chat.pinned = [int(mid) for mid in data["pinned"]]


def _peek(counter: itertools.count[int]) -> tuple[int, itertools.count[int]]:
    """The next value of a counter without losing it (itertools.count can't be read)."""
    value = next(counter)
    return value, itertools.count(value)


def dump_world(world: World) -> dict[str, Any]:
    user_seq, world._user_ids = _peek(world._user_ids)
    group_seq, world._group_ids = _peek(world._group_ids)
    file_seq, world._file_ids = _peek(world._file_ids)
    return {
        "format": FORMAT,
        "sequences": {"user": user_seq, "group": group_seq, "file": file_seq},
        "bots": [
            {
                "token": b.token,
                "username": b.username,
                "first_name": b.first_name,
                "next_update_id": b.next_update_id,
            }
            for b in world.bots.values()
        ],
        "users": [
            {
                "id": u.id,
                "first_name": u.first_name,
                "last_name": u.last_name,
                "username": u.username,
                "language_code": u.language_code,
                "blocked_bots": sorted(u.blocked_bots),
            }
            for u in world.users.values()
        ],
        "private_chats": [
            {"bot_id": bot_id, "user_id": user_id, **_chat_contents(chat)}
            for (bot_id, user_id), chat in world.private_chats.items()
        ],
        "groups": [
            {
                "id": g.id,
                "type": g.type,
                "title": g.title,
                "username": g.username,
                "is_forum": g.is_forum,
                "members": {str(uid): status for uid, status in g.members.items()},
                "bot_ids": sorted(g.bot_ids),
                "admin_bot_ids": sorted(g.admin_bot_ids),
                "bot_rights": {str(bid): r for bid, r in g.bot_rights.items()},
                "topics": [
                    {
                        "thread_id": t.thread_id,
                        "name": t.name,
                        "icon_color": t.icon_color,
                        "closed": t.closed,
                        "icon_custom_emoji_id": t.icon_custom_emoji_id,
                    }
                    for t in g.topics.values()
                ],
                **_chat_contents(g),
            }
            for g in world.groups.values()
        ],
        "files": [
            {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "data": base64.b64encode(f.data).decode(),
                "file_path": f.file_path,
                "mime_type": f.mime_type,
                "file_name": f.file_name,
            }
            for f in world.files.values()
        ],
    }


def load_world(world: World, data: dict[str, Any]) -> None:
    """Fill an empty world from :func:`dump_world`'s output."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown world format {data.get('format')!r}")
    for b in data["bots"]:
        bot = world.add_bot(b["token"], b["username"], b["first_name"])
        bot.next_update_id = int(b["next_update_id"])
    for u in data["users"]:
        user = world.add_user(
            u["first_name"], u["language_code"], u["username"], u["last_name"], int(u["id"])
        )
        user.blocked_bots = set(u["blocked_bots"])
    for c in data["private_chats"]:
        chat = world.private_chat(world.bots[int(c["bot_id"])], world.users[int(c["user_id"])])
        _restore_contents(chat, c)
    for g in data["groups"]:
        chat = Chat(
            id=int(g["id"]),
            type=g["type"],
            title=g["title"],
            username=g["username"],
            is_forum=bool(g["is_forum"]),
            members={int(uid): status for uid, status in g["members"].items()},
            bot_ids=set(g["bot_ids"]),
            admin_bot_ids=set(g["admin_bot_ids"]),
            bot_rights={int(bid): r for bid, r in g["bot_rights"].items()},
            topics={int(t["thread_id"]): Topic(**t) for t in g["topics"]},
            observer=world._emit,
        )
        _restore_contents(chat, g)
        world.groups[chat.id] = chat
    for f in data["files"]:
        rec = FileRecord(
            f["file_id"],
            f["file_unique_id"],
            base64.b64decode(f["data"]),
            f["file_path"],
            f["mime_type"],
            f["file_name"],
        )
        world.files[rec.file_id] = rec
        world.files_by_path[rec.file_path] = rec
    seq = data["sequences"]
    world._user_ids = itertools.count(int(seq["user"]))
    world._group_ids = itertools.count(int(seq["group"]))
    world._file_ids = itertools.count(int(seq["file"]))


def write_world(world: World, path: Path, extra: dict[str, Any] | None = None) -> None:
    """Atomically: a crash mid-write leaves the previous file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({**dump_world(world), "extra": extra or {}}, ensure_ascii=False))
    os.replace(tmp, path)


def read_world(world: World, path: Path) -> dict[str, Any] | None:
    """Load the world saved at ``path`` into ``world``; its ``extra`` part, or None when
    there is no file."""
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    load_world(world, data)
    extra: dict[str, Any] = data.get("extra") or {}
    return extra
