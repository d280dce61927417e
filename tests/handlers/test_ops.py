"""/metrics and /healthz over loopback HTTP, beside the real Dispatcher polling the emulator:
an update is counted and timed, a 429 is counted, the health follows the database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.app import create_ops
from bot.ops.health import Health
from bot.ops.http import ops_routes, serve_ops
from bot.ops.metrics import Metrics
from db.session import Database
from tests.handlers.conftest import App
from tests.servers import free_port


async def _serve(routes: list[web.RouteDef]) -> tuple[web.AppRunner, str]:
    port = free_port()
    return await serve_ops("127.0.0.1", port, routes), f"http://127.0.0.1:{port}"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def _samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


async def test_an_update_is_counted_and_timed_and_the_bot_is_healthy(
    app: App, http: aiohttp.ClientSession
) -> None:
    server, base = await _serve(create_ops(app.settings, app.dp, app.db, app.runner))
    try:
        user = app.emu.add_user(language_code="en")
        app.emu.faults.inject("sendMessage", status=429, retry_after=1, chat_id=user.id)
        await user.send("/start")
        await user.wait_message("Please choose")

        async with http.get(f"{base}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            samples = _samples(await response.text())
        message = frozenset({("type", "message"), ("outcome", "handled")})
        assert samples[("bot_updates_total", message)] >= 1
        assert samples[("bot_update_duration_seconds_count", frozenset({("type", "message")}))] >= 1
        assert (
            samples[("bot_telegram_retry_after_total", frozenset({("method", "sendMessage")}))] == 1
        )
        assert samples[("bot_database_up", frozenset())] == 1
        assert ("bot_last_update_received_timestamp_seconds", frozenset()) in samples
        assert str(user.id) not in await (await http.get(f"{base}/metrics")).text()

        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
            health = await response.json()
        assert health["status"] == "ok"
        assert health["database"] == "ok"
        assert health["redis"] == "not configured"
        assert health["last_update_seen"] is not None
        assert 0 <= health["seconds_since_last_update"] < 30
    finally:
        await server.cleanup()


@pytest.mark.sqlite_only
async def test_a_database_that_does_not_answer_makes_healthz_503(
    app: App, http: aiohttp.ClientSession
) -> None:
    metrics: Metrics = app.dp["metrics"]
    server, base = await _serve(ops_routes(metrics, Health(app.db, app.runner, timeout=0.3)))
    try:
        # With SQLite the engine has one connection: holding it is a database that hangs.
        async with app.db.session() as held:
            await held.execute(text("SELECT 1"))
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 503
                health = await response.json()
            assert health["status"] == "degraded"
            assert health["database"] == "error: no answer within 0.3 s"
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
    finally:
        await server.cleanup()


async def test_a_database_that_cannot_be_reached_makes_healthz_503(
    app: App, http: aiohttp.ClientSession
) -> None:
    nobody = Database(f"postgresql+asyncpg://app@127.0.0.1:{free_port()}/gone")
    metrics: Metrics = app.dp["metrics"]
    server, base = await _serve(ops_routes(metrics, Health(nobody, app.runner, timeout=2)))
    try:
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 503
            health = await response.json()
        assert health["status"] == "degraded" and health["database"].startswith("error: ")
    finally:
        await server.cleanup()
        await nobody.dispose()
