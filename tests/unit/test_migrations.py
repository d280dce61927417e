from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from db.base import Base
from db.migrate import downgrade, upgrade
from db.session import Database


async def _diff(db: Database) -> list[object]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_head_matches_the_models_and_downgrade_base_works(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url)
    db = Database(db_url)
    try:
        assert await _diff(db) == []
        assert set(Base.metadata.tables) <= await _tables(db)
        await db.engine.dispose()
        await asyncio.to_thread(downgrade, db_url)
        assert await _tables(db) == {"alembic_version"}
        await db.engine.dispose()
        await asyncio.to_thread(upgrade, db_url)
        assert await _diff(db) == []
    finally:
        await db.dispose()


@pytest.mark.sqlite_only
async def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(db: Database) -> None:
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        # The writer runs on the event loop: its driver waits for a lock, not SQLite's handler
        # (tests/unit/test_sqlite_driver.py); the readers keep the handler.
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0
    async with db.reader() as report:
        assert (await report.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000
