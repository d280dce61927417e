"""Start-up rewiring of the router tree that saves CPU on every update, matching nothing
differently.

* Run the routers' plain (non-async) filters on the event loop instead of in a thread.
  aiogram awaits a filter that is not a coroutine function — a magic filter such as
  `F.chat.type == "private"`, a lambda — through `asyncio.to_thread`. Ours are pure and
  take microseconds, yet each costs a thread hop: some fifteen per update, about a sixth
  of the CPU one `/start` took. Wrapping them once at start-up keeps aiogram's own matching.
* Let an update pass by the routers where no handler could match it (its type, command,
  dialog state or button prefix is nobody's there), instead of checking each filter of
  each handler of each router in turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import CallableObject, HandlerObject
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject


def _on_loop(call: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return call(*args, **kwargs)

    run.__wrapped__ = call  # type: ignore[attr-defined]  # what filter it is, for the gates
    return run


def _inline(objects: Iterable[CallableObject]) -> int:
    changed = 0
    for obj in objects:
        if not obj.awaitable:
            # `params` and `varkw` were read from the original signature and still apply.
            obj.callback = _on_loop(obj.callback)
            obj.awaitable = True
            changed += 1
    return changed


def inline_sync_filters(root: Router) -> int:
    """Make every sync filter and handler under `root` run inline; returns how many."""
    changed = 0
    for router in root.chain_tail:
        for observer in router.observers.values():
            # The observer's own filters (`router.message.filter(...)`) live on `_handler`,
            # whose callback aiogram never calls.
            changed += _inline(observer._handler.filters or ())
            for handler in observer.handlers:
                changed += _inline([handler, *(handler.filters or ())])
    return changed


@dataclass
class Needs:
    """What an update must carry for at least one handler of a router's subtree to match:
    one of these commands, dialog states or button prefixes. Read from aiogram's own
    filters at start-up; any handler whose filters are not of these kinds makes the router
    open to every update of the type."""

    states: set[str | None] = field(default_factory=set)
    command_prefixes: set[str] = field(default_factory=set)
    # Casefolded names (a superset of the matches) → whether every handler of the name
    # wants arguments after it (a deep link: /start <code>).
    commands: dict[str, bool] = field(default_factory=dict)
    any_command: bool = False  # a regexp command: any name after a right prefix
    buttons: dict[str, set[str]] = field(default_factory=dict)  # separator → prefixes

    def add(self, other: Needs) -> None:
        self.states |= other.states
        self.command_prefixes |= other.command_prefixes
        for name, with_args in other.commands.items():
            self.commands[name] = self.commands.get(name, True) and with_args
        self.any_command |= other.any_command
        for separator, prefixes in other.buttons.items():
            self.buttons.setdefault(separator, set()).update(prefixes)

    def admit(self, event: TelegramObject, raw_state: str | None) -> bool:
        if raw_state in self.states:
            return True
        if self.command_prefixes and isinstance(event, Message):
            # As aiogram's Command reads it: the first word, its first character the prefix.
            words = (event.text or event.caption or "").split(maxsplit=1)
            if words and words[0][0] in self.command_prefixes:
                if self.any_command:
                    return True
                with_args = self.commands.get(words[0][1:].partition("@")[0].casefold())
                if with_args is not None and (len(words) > 1 or not with_args):
                    return True
        if self.buttons and isinstance(event, CallbackQuery) and event.data:
            for separator, prefixes in self.buttons.items():
                if event.data.split(separator, 1)[0] in prefixes:
                    return True
        return False


_UNPACK = vars(CallbackData)["unpack"].__func__  # aiogram's own reading of button data


def _states(allowed: Any) -> set[str | None] | None:
    """The raw states a state filter lets through; None for any state."""
    if allowed is None or isinstance(allowed, str):
        return None if allowed == "*" else {allowed}
    if isinstance(allowed, State):
        return None if allowed.state == "*" else {allowed.state}
    group = allowed if isinstance(allowed, type) else type(allowed)
    if issubclass(group, StatesGroup):
        return set(group.__all_states_names__)
    return None


def _needs_of_filter(callback: Any) -> Needs | None:
    """What this one filter requires, if it is of a kind read here."""
    callback = getattr(callback, "__wrapped__", callback)
    if isinstance(callback, Command):
        needs = Needs(command_prefixes=set(callback.prefix))
        deep_link = getattr(callback, "deep_link", None) is True
        for command in callback.commands:
            if isinstance(command, str):
                needs.commands[command.casefold()] = deep_link
            else:
                needs.any_command = True
        return needs
    if isinstance(callback, StateFilter):
        found: set[str | None] = set()
        for allowed in callback.states:
            states = _states(allowed)
            if states is None:
                return None
            found |= states
        return Needs(states=found)
    if isinstance(callback, (State, StatesGroup)) or (
        isinstance(callback, type) and issubclass(callback, StatesGroup)
    ):
        states = _states(callback)
        return None if states is None else Needs(states=states)
    if isinstance(callback, CallbackQueryFilter):
        data = callback.callback_data
        if getattr(data.unpack, "__func__", None) is not _UNPACK:
            return None  # a class that reads its data its own way
        return Needs(buttons={data.__separator__: {data.__prefix__}})
    return None


def _needs_of_handler(handler: HandlerObject) -> Needs | None:
    """A handler matches only if each filter does: any one it has of a known kind will do."""
    for each in handler.filters or ():
        needs = _needs_of_filter(each.callback)
        if needs is not None:
            return needs
    return None


def needs_of(router: Router, update_type: str) -> Needs | None:
    """What an update of the type needs to be handled anywhere under `router` (nothing
    admits it when no handler there takes the type); None when any update might be, or is
    watched there by an outer middleware."""
    merged = Needs()
    for each in router.chain_tail:
        observer = each.observers.get(update_type)
        if observer is None:
            continue
        if observer.outer_middleware:
            return None  # it runs even where no handler matches
        for handler in observer.handlers:
            needs = _needs_of_handler(handler)
            if needs is None:
                return None
            merged.add(needs)
    return merged


def skip_unmatchable_routers(root: Router) -> int:
    """Let an update pass by the routers where no handler can match it: none for its type,
    or none for its command, dialog state or button.

    aiogram walks every router of the tree in order, with a middleware chain, root filters,
    each handler's filters and copies of the handler data at each: a new person's /start
    went through twelve routers and thirty-three filter checks, a button through more.
    The test is a necessary condition read from aiogram's own filters, so what matches is
    exactly what matched. Returns how many routers were given a gate.
    """
    changed = 0
    for router in root.chain_tail:
        if router is root:
            continue
        found = {kind: needs_of(router, kind) for kind in router.observers}
        gates = {kind: needs for kind, needs in found.items() if needs is not None}
        if gates:
            router.propagate_event = _gated(router.propagate_event, gates)  # type: ignore[method-assign,assignment]
            changed += 1
    return changed


def _gated(
    propagate: Callable[..., Awaitable[Any]], gates: dict[str, Needs]
) -> Callable[..., Awaitable[Any]]:
    async def propagate_event(update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        needs = gates.get(update_type)
        if needs is not None and not needs.admit(event, kwargs.get("raw_state")):
            return UNHANDLED
        return await propagate(update_type=update_type, event=event, **kwargs)

    return propagate_event
