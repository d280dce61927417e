from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import FsmRecord
from db.repositories import _hot
from db.repositories._sql import _insert_for


@functools.cache
def _upsert_fsm(dialect: str) -> Any:
    stmt = _insert_for(dialect, FsmRecord.__table__).values(
        key=bindparam("key"),
        state=bindparam("state"),
        data=bindparam("data"),
        updated_at=bindparam("updated_at"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "state": stmt.excluded.state,
            "data": stmt.excluded.data,
            "updated_at": stmt.excluded.updated_at,
        },
    )


class FsmRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> tuple[str | None, dict[str, Any]] | None:
        """(state, data) for the key. Plain columns, so no stale identity-map copy is returned."""
        result = await self.session.execute(
            select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == key)
        )
        row = result.one_or_none()
        return None if row is None else (row.state, dict(row.data or {}))

    async def keys(self) -> set[str]:
        return set((await self.session.scalars(select(FsmRecord.key))).all())

    async def upsert(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        params = {"key": key, "state": state, "data": data, "updated_at": utcnow()}
        await _hot.execute(self.session, _upsert_fsm, params)
