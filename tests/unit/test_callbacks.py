"""The callback guard's rules, and the callback data every dialog declares."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

import bot.dialogs.onboarding as ob
from bot.dialogs.callbacks import allowed_in
from bot.middlewares.callbacks import on_keyboard


def _markup(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=d, callback_data=d)] for d in data]
    )


def test_only_buttons_on_the_current_keyboard_count() -> None:
    markup = _markup("lang:ru", "lang:en")
    assert on_keyboard("lang:ru", markup)
    assert not on_keyboard("consent:accept", markup)
    assert not on_keyboard("lang:ru", None)
    assert not on_keyboard(None, markup)


def test_step_bound_buttons_act_only_at_their_step() -> None:
    accept = ob.ConsentCb(action=ob.ConsentAction.ACCEPT).pack()
    assert allowed_in(accept, ob.Onboarding.consent.state)
    assert not allowed_in(accept, None)
    assert not allowed_in(accept, ob.Onboarding.language.state)
    menu = ob.MenuCb(item=ob.MenuItem.SOS).pack()
    assert allowed_in(menu, None) and allowed_in(menu, ob.Onboarding.consent.state)


def _all_callback_data() -> list[type[CallbackData]]:
    found: list[type[CallbackData]] = []
    todo = list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return [c for c in found if c.__module__.startswith("bot.")]


def test_prefixes_are_unique_and_the_longest_data_fits_in_64_bytes() -> None:
    classes = _all_callback_data()
    prefixes = [c.__prefix__ for c in classes]
    assert len(prefixes) == len(set(prefixes)), prefixes
    longest = max(
        [ob.MenuCb(item=i).pack() for i in ob.MenuItem]
        + [ob.ConsentCb(action=a).pack() for a in ob.ConsentAction]
        + [ob.LangCb(code=c).pack() for c in ob.LANGUAGE_NAMES],
        key=len,
    )
    assert len(longest.encode()) <= 64
