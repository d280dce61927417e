from __future__ import annotations

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.storage import DatabaseStorage
from db.session import Database, NestedSessionError, current_session


class Steps(StatesGroup):
    first = State()


KEY = StorageKey(bot_id=1, chat_id=10, user_id=10)


async def test_state_and_data_survive_a_new_process(db: Database) -> None:
    storage = DatabaseStorage(db)
    await storage.set_state(KEY, Steps.first)
    await storage.set_data(KEY, {"answers": [1, 2], "note": "тест"})
    await db.dispose()

    reopened = Database(db.url)  # what a restarted bot would open
    try:
        again = DatabaseStorage(reopened)
        assert await again.get_state(KEY) == Steps.first.state
        assert await again.get_data(KEY) == {"answers": [1, 2], "note": "тест"}
        other = StorageKey(bot_id=1, chat_id=11, user_id=11)
        assert await again.get_state(other) is None
        assert await again.get_data(other) == {}
        await again.set_state(KEY, None)
        assert await again.get_state(KEY) is None
        assert await again.get_data(KEY) == {"answers": [1, 2], "note": "тест"}
    finally:
        await reopened.dispose()


async def test_inside_an_update_the_state_commits_with_the_update(db: Database) -> None:
    storage = DatabaseStorage(db)
    async with db.session() as session:
        token = current_session.set(session)
        try:
            await storage.set_state(KEY, Steps.first)
            assert await storage.get_state(KEY) == Steps.first.state
            await session.rollback()  # the handler failed: its state change goes with it
        finally:
            current_session.reset(token)
    assert await storage.get_state(KEY) is None


async def test_a_state_written_after_a_send_reaches_the_cache_too(db: Database) -> None:
    storage = DatabaseStorage(db)
    async with db.session() as session:
        token = current_session.set(session)
        try:
            await storage.set_state(KEY, Steps.first)
            await session.commit()  # CommitBeforeSend: the bot spoke
            await storage.set_data(KEY, {"back_to": "settings"})
            await session.commit()  # the end of the update
        finally:
            current_session.reset(token)
    assert await storage.get_state(KEY) == Steps.first.state
    assert await storage.get_data(KEY) == {"back_to": "settings"}


async def test_a_second_session_inside_an_update_is_refused_at_once(db: Database) -> None:
    async with db.session() as session:
        token = current_session.set(session)
        try:
            with pytest.raises(NestedSessionError):
                db.session()
        finally:
            current_session.reset(token)
    async with db.session():
        pass  # outside an update, sessions are free again
