"""Plain filters run on the event loop, and still match exactly as aiogram matches them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.app import create_dispatcher
from bot.config import Settings
from bot.inline_filters import inline_sync_filters, skip_unmatchable_routers
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
    assert skip_unmatchable_routers(dp) >= 2
    await root.propagate_event("message", message("hi"))
    assert seen == ["watched", "message"]
    skipped = await callbacks_only.propagate_event("message", message("hi"))
    assert skipped is UNHANDLED and seen == ["watched", "message"]


class Flow(StatesGroup):
    name = State()
    age = State()


class Pick(CallbackData, prefix="pick"):
    item: str


def query(data: str) -> CallbackQuery:
    return CallbackQuery.model_validate(
        {
            "id": "1",
            "from": {"id": 7, "is_bot": False, "first_name": "A"},
            "chat_instance": "x",
            "data": data,
            "message": {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}},
        }
    )


async def test_an_update_passes_by_routers_where_no_command_state_or_button_can_match() -> None:
    seen: list[str] = []
    root, commands, states, buttons, catch_all = Router(), Router(), Router(), Router(), Router()
    for router, name in ((commands, "commands"), (states, "states"), (buttons, "buttons")):
        # The root filter runs whenever the router is walked: it shows which were.
        router.message.filter(lambda m, name=name: seen.append(f"walked {name}") or True)
        router.callback_query.filter(lambda q, name=name: seen.append(f"walked {name}") or True)

    @commands.message(Command("stock", "Queues"))
    async def on_command(message: Message) -> None:
        seen.append("command")

    @commands.message(CommandStart(deep_link=True))
    async def on_deep_link(message: Message) -> None:
        seen.append("deep link")

    @states.message(Flow.name)
    async def on_state(message: Message) -> None:
        seen.append("state")

    @states.message(StateFilter(Flow))
    async def on_group(message: Message) -> None:
        seen.append("group")

    @buttons.callback_query(Pick.filter())
    async def on_button(query: CallbackQuery, callback_data: Pick) -> None:
        seen.append(f"button {callback_data.item}")

    @catch_all.message()
    async def on_other(message: Message) -> None:
        seen.append("other")

    root.include_routers(commands, states, buttons, catch_all)
    dp = Dispatcher()
    dp.include_router(root)
    assert skip_unmatchable_routers(dp) >= 3
    bot = Bot("42:TEST")

    async def run(update_type: str, event: Any, raw_state: str | None = None) -> list[str]:
        seen.clear()
        await root.propagate_event(update_type, event, raw_state=raw_state, bot=bot)
        return list(seen)

    assert await run("message", message("hello")) == ["other"]
    assert await run("message", message("/stock 5")) == ["walked commands", "command"]
    # Case as aiogram's Command reads it: /queues is not /Queues (the gate lets both by).
    assert await run("message", message("/queues")) == ["walked commands", "other"]
    assert await run("message", message("  /Queues now")) == ["walked commands", "command"]
    assert await run("message", message("/start code")) == ["walked commands", "deep link"]
    assert await run("message", message("/start")) == ["other"]  # no deep link: passed by
    assert await run(
        "message",
        message(
            "any",
        ),
        Flow.name.state,
    ) == ["walked states", "state"]
    assert await run("message", message("any"), Flow.age.state) == ["walked states", "group"]
    assert await run("message", message("any"), "Other:state") == ["other"]
    assert await run("callback_query", query("pick:pram")) == ["walked buttons", "button pram"]
    assert await run("callback_query", query("pickle:pram")) == []
    assert await run("callback_query", query("forged")) == []


async def test_every_handler_of_the_bot_can_still_be_reached_by_its_own_kind_of_update(
    settings: Settings, db: Database
) -> None:
    """For each handler with a command, state or button filter, an update made to match
    that filter gets past the gate of every router above it."""
    from aiogram.filters.callback_data import CallbackQueryFilter

    from bot.inline_filters import needs_of

    dp = create_dispatcher(settings, db, scheduler=False)
    reached = 0
    for router in dp.chain_tail:
        for kind in ("message", "callback_query"):
            for handler in router.observers[kind].handlers:
                for each in handler.filters or ():
                    f = getattr(each.callback, "__wrapped__", each.callback)
                    raw_state: str | None = None
                    if isinstance(f, Command) and isinstance(f.commands[0], str):
                        event: Any = message(f"{f.prefix[0]}{f.commands[0]} args")
                        plain = message(f"{f.prefix[0]}{f.commands[0]}")
                        if getattr(f, "deep_link", None) is not True:  # it also takes no args
                            assert all(
                                (n := needs_of(r, kind)) is None or n.admit(plain, None)
                                for r in router.chain_head
                            )
                    elif isinstance(f, State):
                        event, raw_state = message("text"), f.state
                    elif isinstance(f, CallbackQueryFilter):
                        data = f.callback_data
                        event = query(f"{data.__prefix__}{data.__separator__}x")
                    else:
                        continue
                    for above in router.chain_head:
                        needs = needs_of(above, kind)
                        assert needs is None or needs.admit(event, raw_state), (
                            f"{above.name} would keep {handler.callback.__name__} from its update"
                        )
                    reached += 1
    assert reached > 80
