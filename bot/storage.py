"""aiogram FSM storage on the project's database, so a conversation survives a restart.

Inside an update it writes through that update's session (see middlewares/db.py): the state
then commits together with what the handler changed, and no second connection competes for
the SQLite write lock held by the first.

Reads are served from a bounded in-memory copy (plus the set of keys that have a row),
because aiogram reads the state of every update before any handler runs. The copy only
learns a value once the session that wrote it has committed, so a handler that fails leaves
no phantom state behind. One bot process owns its database (Telegram allows one poller per
token), which is what makes the copy valid.
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
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

from db.repositories import FsmRepo
from db.session import Database, current_session, on_commit

Record = tuple[str | None, dict[str, Any]]
PENDING = "fsm_pending"  # key in Session.info: writes waiting for their commit


class DatabaseStorage(BaseStorage):
    def __init__(
        self, db: Database, key_builder: KeyBuilder | None = None, cache_size: int = 50_000
    ) -> None:
        self.db = db
        self.key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Record] = OrderedDict()
        # Every key that has a row, loaded once: a new person's key is then known to be
        # empty without asking the database, which is most of the first update's reads.
        self._keys: set[str] | None = None
        self._keys_lock = asyncio.Lock()

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        ambient = current_session.get()
        if ambient is not None:
            yield ambient
            return
        async with self.db.session() as session, session.begin():
            yield session

    async def _known_keys(self) -> set[str]:
        async with self._keys_lock:
            if self._keys is None:
                async with self._session() as session:
                    self._keys = await FsmRepo(session).keys()
            return self._keys

    def _remember(self, key: str, record: Record) -> None:
        if self._keys is not None:
            self._keys.add(key)
        self._cache[key] = record
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _pending(self, session: AsyncSession) -> dict[str, Record]:
        info = session.sync_session.info
        pending: dict[str, Record] | None = info.get(PENDING)
        if pending is None:
            # Per transaction: an update commits before each send, and a state written
            # after a send reaches the cache with the next commit.
            pending = info[PENDING] = {}
            on_commit(session, functools.partial(self._ended, info))
        return pending

    def _ended(self, info: dict[Any, Any], committed: bool) -> None:
        pending = info.pop(PENDING, {})
        if committed:
            for key, record in pending.items():
                self._remember(key, record)

    async def _read(self, key: str) -> Record:
        ambient = current_session.get()
        if ambient is not None:
            pending = ambient.sync_session.info.get(PENDING, {})
            if key in pending:
                return pending[key]  # type: ignore[no-any-return]
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key not in await self._known_keys():
            return (None, {})
        async with self._session() as session:
            found = await FsmRepo(session).get(key)
        record: Record = found if found is not None else (None, {})
        self._remember(key, record)
        return record

    async def _write(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        async with self._session() as session:
            await FsmRepo(session).upsert(key, state=state, data=data)
            self._pending(session)[key] = (state, data)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = self.key_builder.build(key)
        _, data = await self._read(name)
        await self._write(name, state.state if isinstance(state, State) else state, data)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._read(self.key_builder.build(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self.key_builder.build(key)
        state, _ = await self._read(name)
        await self._write(name, state, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._read(self.key_builder.build(key)))[1])

    async def close(self) -> None:
        """The database belongs to the app, which closes it."""
