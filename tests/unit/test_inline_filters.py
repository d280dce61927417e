"""Plain filters run on the event loop, and still match exactly as aiogram matches them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.types import Message

from bot.app import create_dispatcher
from bot.config import Settings
from bot.inline_filters import inline_sync_filters
from db.session import Database


def callables(dp: Dispatcher) -> list[CallableObject]:
    found: list[CallableObject] = []
    for router in dp.chain_tail:
        for observer in router.observers.values():
            found += observer._handler.filters or ()
            for handler in observer.handlers:
                found += [handler, *(handler.filters or ())]
    return found


async def test_no_filter_of_the_bot_goes_to_a_thread(settings: Settings, db: Database) -> None:
    found = callables(create_dispatcher(settings, db, scheduler=False))
    assert len(found) > 100
    assert [c.callback for c in found if not c.awaitable] == []


def message(text: str) -> Message:
    return Message.model_validate(
        {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, "text": text}
    )


async def test_magic_filters_match_the_same_without_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[str, Any]] = []
    router = Router()
    router.message.filter(F.chat.type == "private")

    @router.message(F.text.regexp(r"^go (\d+)$").as_("match"))
    async def go(message: Message, match: Any) -> None:
        seen.append(("go", match.group(1)))

    @router.message(lambda m: m.text == "lambda")
    async def plain(message: Message) -> None:
        seen.append(("lambda", None))

    dp = Dispatcher()
    dp.include_router(router)
    assert inline_sync_filters(dp) == 3

    async def no_threads(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a filter went to a thread")

    monkeypatch.setattr(asyncio, "to_thread", no_threads)
    for text in ("go 12", "go x", "lambda", "other"):
        await router.propagate_event("message", message(text))
    assert seen == [("go", "12"), ("lambda", None)]
