"""aiogram FSM storage on the project's database, so a conversation survives a restart.

Inside an update it writes through that update's session (see middlewares/db.py): the state
then commits together with what the handler changed, and no second connection competes for
the SQLite write lock held by the first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.middlewares.db import current_session
from db.repositories import FsmRepo
from db.session import Database


class DatabaseStorage(BaseStorage):
    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self.db = db
        self.key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        ambient = current_session.get()
        if ambient is not None:
            yield ambient
            return
        async with self.db.session() as session, session.begin():
            yield session

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._session() as session:
            await FsmRepo(session).upsert(self.key_builder.build(key), state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as session:
            found = await FsmRepo(session).get(self.key_builder.build(key))
        return None if found is None else found[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._session() as session:
            await FsmRepo(session).upsert(self.key_builder.build(key), data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as session:
            found = await FsmRepo(session).get(self.key_builder.build(key))
        return {} if found is None else found[1]

    async def close(self) -> None:
        """The database belongs to the app, which closes it."""
