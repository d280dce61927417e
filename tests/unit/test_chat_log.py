"""Message ids for «Clear this chat»: the person's in the update's own transaction, the bot's
carried by the next transaction (the next update's, or one of their own right away)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from aiogram.types import Chat, Message, Update

from bot.middlewares.chat_log import LogOutgoing
from bot.middlewares.db import DbSessionMiddleware
from bot.services import chat_log
from bot.services.chat_log import Unwritten
from db.session import Database, current_session


async def kept_ids(db: Database, chat_id: int) -> list[int]:
    async with db.session() as session:
        return await chat_log.deletable(session, chat_id)


def message_update(update_id: int, chat_id: int, message_id: int, chat_type: str) -> Update:
    chat = Chat(id=chat_id, type=chat_type)
    when = datetime.now(UTC)
    return Update(
        update_id=update_id,
        message=Message(message_id=message_id, date=when, chat=chat, text="hi"),
    )


def fake_bot(unwritten: Unwritten) -> Any:
    return SimpleNamespace(id=42, session=SimpleNamespace(middleware=[LogOutgoing(unwritten)]))


@pytest.mark.sqlite_only  # PostgreSQL's pool has more connections: nobody waits
async def test_ids_sent_while_the_connection_is_busy_share_one_write_after_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    record_rows = chat_log.record_rows

    async def counted(session: Any, rows: list[chat_log.Row]) -> None:
        writes.append(len(rows))
        await record_rows(session, rows)

    monkeypatch.setattr(chat_log, "record_rows", counted)
    unwritten = Unwritten()
    unwritten.bind(db)
    async with db.session() as update_session:
        await update_session.connection()  # an update holds SQLite's one connection
        token = current_session.set(update_session)  # sends happen inside its context
        try:
            unwritten.add(5, 100)
            unwritten.add(5, 101)
        finally:
            current_session.reset(token)
        await asyncio.sleep(0.05)  # the flush waits for the connection meanwhile
        unwritten.add(5, 102)  # sent while it waits: comes along in the same write
        await update_session.commit()
    await unwritten.close()
    assert unwritten.take() == []
    assert writes == [3]
    assert await kept_ids(db, 5) == [100, 101, 102]


@pytest.mark.sqlite_only  # PostgreSQL has no writers' connection on the event loop
async def test_an_id_is_written_at_once_when_the_writer_is_free(db: Database) -> None:
    unwritten = Unwritten()
    unwritten.bind(db)
    async with db.session() as session:
        await session.connection()  # warm: the pool has made its one connection
    unwritten.add(5, 200)
    assert unwritten.take() == []  # written before any other task could run: not waiting
    assert await kept_ids(db, 5) == [200]


async def test_group_messages_are_not_kept() -> None:
    unwritten = Unwritten()
    unwritten.add(-1001, 7)
    assert unwritten.take() == []


async def test_close_writes_what_waits(db: Database) -> None:
    unwritten = Unwritten()
    unwritten.add(6, 1)  # not bound yet: nothing is written by itself
    await asyncio.sleep(0.01)
    assert await kept_ids(db, 6) == []
    unwritten.bind(db)
    await unwritten.close()
    assert await kept_ids(db, 6) == [1]


async def test_the_next_update_records_its_message_and_carries_the_bots_ids(
    db: Database,
) -> None:
    unwritten = Unwritten()  # not bound: only an update's transaction writes them
    unwritten.add(5, 10)
    unwritten.add(9, 11)  # another chat's reply rides along too
    seen: list[Any] = []

    async def handler(event: Any, data: dict[str, Any]) -> None:
        seen.append(data["session"])

    update = message_update(1, 5, 12, "private")
    await DbSessionMiddleware(db)(handler, update, {"bot": fake_bot(unwritten)})
    assert seen and unwritten.take() == []
    assert await kept_ids(db, 5) == [10, 12]
    assert await kept_ids(db, 9) == [11]


async def test_a_group_message_is_not_recorded_by_its_update(db: Database) -> None:
    async def handler(event: Any, data: dict[str, Any]) -> None:
        return None

    update = message_update(2, -100, 3, "supergroup")
    await DbSessionMiddleware(db)(handler, update, {"bot": fake_bot(Unwritten())})
    assert await kept_ids(db, -100) == []


async def test_a_failed_update_gives_the_carried_ids_back(db: Database) -> None:
    unwritten = Unwritten()
    unwritten.add(5, 10)

    async def handler(event: Any, data: dict[str, Any]) -> None:
        raise RuntimeError("the handler broke")

    update = message_update(3, 5, 12, "private")
    with pytest.raises(RuntimeError):
        await DbSessionMiddleware(db)(handler, update, {"bot": fake_bot(unwritten)})
    assert [row[:2] for row in unwritten.take()] == [(5, 10)]
    assert await kept_ids(db, 5) == []  # rolled back with the update's work
