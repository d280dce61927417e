from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.app import create_bot, create_dispatcher, create_runner
from bot.storage import DatabaseStorage
from db.models import InboxStatus, InboxUpdate, Person
from db.repositories import InboxRepo
from db.session import Database
from sandbox import Emulator
from tests.handlers.conftest import App
from tests.helpers import bot_settings, until


def _sent_to(
    app: App | None, chat_id: int, fragment: str, emu: Emulator | None = None
) -> list[object]:
    emu = app.emu if app is not None else emu
    assert emu is not None
    return [
        c
        for c in emu.calls("sendMessage")
        if c.ok and c.params.get("chat_id") == chat_id and fragment in str(c.params.get("text"))
    ]


async def _active(app: App, telegram_id: int) -> bool | None:
    async with app.db.session() as session:
        return await session.scalar(
            select(Person.is_active).where(Person.telegram_id == telegram_id)
        )


async def test_a_duplicated_update_is_ignored(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose")
    delivered = app.emu.delivered_updates()
    start_update = next(u for u in delivered if u.get("message", {}).get("text") == "/start")
    app.emu.redeliver(start_update)  # Telegram re-sends it, as after a restart
    await until(
        lambda: app.emu.delivered_updates().count(start_update) == 2,
        what="the duplicate to be delivered",
    )
    await user.send("/sos")  # a marker: once this is answered, the duplicate was handled
    await user.wait_message("in danger right now")
    assert len(_sent_to(app, user.id, "Please choose")) == 1


async def test_flood_control_is_waited_out(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    app.emu.faults.inject("sendMessage", status=429, retry_after=1, times=1, chat_id=user.id)
    await user.send("/sos")
    await user.wait_message("in danger right now", timeout=10)
    statuses = [
        c.status for c in app.emu.calls("sendMessage") if c.params.get("chat_id") == user.id
    ]
    assert statuses == [429, 200]


async def test_a_server_error_is_retried(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    app.emu.faults.inject("sendMessage", status=502, times=1, chat_id=user.id)
    await user.send("/help")
    await user.wait_message("/privacy")


async def test_a_failing_handler_ends_in_a_polite_apology(app: App) -> None:
    user = app.emu.add_user(language_code="ru")
    app.emu.faults.inject(
        "sendMessage", status=400, times=1, chat_id=user.id, description="Bad Request: injected"
    )
    await user.send("/sos")
    apology = await user.wait_message("что-то пошло не так")
    assert "112" in apology.text
    app.emu.log.violations.clear()  # the injected 400 is the point of this test


async def test_blocking_and_unblocking_the_bot(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose")
    user.block()
    await until(lambda: _is(app, user.id, False), what="the person to be marked unreachable")
    user.unblock()
    await until(lambda: _is(app, user.id, True), what="the person to be reachable again")


async def _is(app: App, telegram_id: int, value: bool) -> bool:
    return await _active(app, telegram_id) is value


async def test_forbidden_while_answering_marks_the_person_unreachable(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose")
    app.emu.faults.inject("sendMessage", status=403, times=1, chat_id=user.id)
    await user.send("/sos")
    await until(lambda: _is(app, user.id, False), what="the person to be marked unreachable")


async def test_a_chatty_person_gets_one_hint_per_burst_and_paced_answers(app: App) -> None:
    app.emu.limiter.enabled = True  # Telegram's limits: ~1 message/s per chat, burst of 3
    user = app.emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose")
    for n in range(6):
        await user.send(f"hello {n}")
    await user.wait_message("Please choose a language with a button", timeout=5)
    for command in ("/sos", "/help", "/sos", "/help"):  # deliberate acts: each is answered
        await user.send(command)
    for expected in ("in danger right now", "/privacy", "in danger right now", "/privacy"):
        await user.wait_message(expected, timeout=10)
    statuses = [
        c.status for c in app.emu.calls("sendMessage") if c.params.get("chat_id") == user.id
    ]
    assert statuses == [200] * 6, "the bot itself went past Telegram's per-chat limit"
    assert len(_sent_to(app, user.id, "with a button")) == 1


# On SQLite the worker's statements run on the event loop: it commits the update as handled
# before the intake gets back to its batch. PostgreSQL's round trips let the intake go first.
@pytest.mark.sqlite_only
async def test_an_update_its_handler_already_committed_is_not_written_twice(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored: list[int] = []
    store = InboxRepo.store

    async def counting(self: InboxRepo, bot_id: int, rows: list[Any]) -> set[int]:
        stored.extend(row[0] for row in rows)
        return await store(self, bot_id, rows)

    monkeypatch.setattr(InboxRepo, "store", counting)
    first, second = app.emu.add_user(language_code="en"), app.emu.add_user(language_code="en")
    await first.send("/start")  # the first update also loads the dialog states' keys
    await first.wait_message("Please choose")
    await second.send("/start")
    await second.wait_message("Please choose")
    await until(lambda: not app.runner.in_flight and not app.runner.queue.size)
    async with app.db.session() as session:
        rows = (await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))).all()
    last = max(rows)
    assert last.status == InboxStatus.DONE  # durable, as handled, before the reply
    assert last.update_id not in stored


@contextlib.asynccontextmanager
async def adopting_bot(emu: Emulator, db: Database, db_url: str) -> AsyncIterator[Bot]:
    """A bot whose runner looks for waiting updates every quarter of a second."""
    settings = bot_settings(emu, db_url, adopt_updates_after=1)
    bot = create_bot(settings)
    dp = create_dispatcher(settings, db, scheduler=False)
    runner = create_runner(settings, bot, dp, db)
    polling = asyncio.create_task(runner.run_polling(polling_timeout=1, handle_signals=False))
    try:
        await until(lambda: emu.calls("deleteWebhook"), what="the bot to start polling")
        yield bot
    finally:
        runner.stop()
        await polling


async def test_an_update_left_by_a_stopped_instance_is_taken_over_and_handled_once(
    emu: Emulator, db: Database, db_url: str
) -> None:
    """Another replica stored a family's /start and was killed before handling it: this one,
    looking every quarter of ADOPT_UPDATES_AFTER, handles it, and only once."""
    async with adopting_bot(emu, db, db_url) as bot:
        user = emu.add_user(first_name="Emma", language_code="en")
        sender = {"id": user.id, "is_bot": False, "first_name": "Emma", "language_code": "en"}
        update = {
            "update_id": 987_654,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user.id, "type": "private", "first_name": "Emma"},
                "from": sender,
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with db.session() as session, session.begin():
            await InboxRepo(session).store(bot.id, [(987_654, f"c{user.id}", json.dumps(update))])
        await user.wait_message("Please choose", timeout=10)
        await asyncio.sleep(1.5)  # more looks: it is not taken again
        assert len(_sent_to(app=None, emu=emu, chat_id=user.id, fragment="Please choose")) == 1
        async with db.session() as session:
            status = await session.scalar(
                select(InboxUpdate.status).where(InboxUpdate.update_id == 987_654)
            )
        assert status == InboxStatus.DONE


async def test_an_update_that_fails_before_its_claim_waits_and_goes_through_later(
    emu: Emulator, db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conversation store is unreachable (Redis down, say): the family is told once,
    the update stays waiting and is retried quietly until it goes through."""
    down = [True]
    get_state = DatabaseStorage.get_state

    async def flaky(self: DatabaseStorage, key: Any) -> str | None:
        if down[0]:
            raise ConnectionError("the conversation store is unreachable")
        return await get_state(self, key)

    monkeypatch.setattr(DatabaseStorage, "get_state", flaky)
    async with adopting_bot(emu, db, db_url):
        user = emu.add_user(first_name="Emma", language_code="en")
        await user.send("/start")
        await user.wait_message("something went wrong")
        await asyncio.sleep(2)  # several retries meanwhile, each failing
        down[0] = False
        await user.wait_message("Please choose", timeout=10)
        await asyncio.sleep(0.5)
    assert len(_sent_to(None, user.id, "something went wrong", emu=emu)) == 1
    assert len(_sent_to(None, user.id, "Please choose", emu=emu)) == 1
