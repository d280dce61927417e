"""Which step each kind of button belongs to, for the guard in bot/middlewares/callbacks.py.

A CallbackData class marked `@bound_to(state, ...)` acts only while the person is in one of
those states; unmarked ones (menu navigation, language) act at any step, as long as they are
on the message's current keyboard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State

CB = TypeVar("CB", bound=type[CallbackData])

_STEPS: dict[str, frozenset[str | None]] = {}


def bound_to(*states: State) -> Callable[[CB], CB]:
    def register(cls: CB) -> CB:
        _STEPS[cls.__prefix__] = frozenset(state.state for state in states)
        return cls

    return register


def allowed_in(data: str, state: str | None) -> bool:
    steps = _STEPS.get(data.split(":", 1)[0])
    return steps is None or state in steps
