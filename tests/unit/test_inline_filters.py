"""Plain filters run on the event loop, and still match exactly as aiogram matches them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.dispatcher.event.bases import UNHANDLED
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


async def test_routers_without_handlers_for_a_type_are_passed_by_and_nothing_else() -> None:
    from aiogram.types import CallbackQuery

    from bot.inline_filters import skip_idle_routers

    seen: list[str] = []
    root, callbacks_only, watched, deep = Router(), Router(), Router(), Router()
    parent_of_deep = Router()

    async def on_callback(query: CallbackQuery) -> None:
        seen.append("callback")

    async def on_message(message: Message) -> None:
        seen.append("message")

    async def watch(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        seen.append("watched")
        return await handler(event, data)

    callbacks_only.callback_query.register(on_callback)
    # Walked, this router would check its message filter although no handler can follow.
    callbacks_only.message.filter(lambda m: seen.append("walked") or True)
    watched.message.outer_middleware(watch)  # runs for messages even with no handler
    deep.message.register(on_message)
    parent_of_deep.include_router(deep)
    root.include_routers(callbacks_only, watched, parent_of_deep)
    dp = Dispatcher()
    dp.include_router(root)
    assert skip_idle_routers(dp) >= 2
    await root.propagate_event("message", message("hi"))
    assert seen == ["watched", "message"]
    skipped = await callbacks_only.propagate_event("message", message("hi"))
    assert skipped is UNHANDLED and seen == ["watched", "message"]
