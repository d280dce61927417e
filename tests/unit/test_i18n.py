from __future__ import annotations

import re

import pytest
from aiogram.types import User

from bot.catalogs import load, problems
from bot.i18n import COMMANDS, bot_commands, create_i18n, resolve_locale
from db.models import Person

PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z]+")


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_catalogs_are_complete_and_not_fuzzy(locale: str) -> None:
    catalog = load(locale)
    assert len([m for m in catalog if m.id]) > 10
    assert problems(catalog) == []


def test_translations_keep_placeholders_and_markup() -> None:
    for message in load("ru"):
        if not message.id or not isinstance(message.id, str):
            continue
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
            PLACEHOLDER.findall(str(message.string))
        ), message.id
        assert sorted(TAG.findall(message.id)) == sorted(TAG.findall(str(message.string)))


def test_problems_finds_missing_and_fuzzy() -> None:
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="ru")
    catalog.add("Hello", "")
    catalog.add("Bye", "Пока", flags=["fuzzy"])
    catalog.add("Ok", "Хорошо")
    assert problems(catalog) == ["untranslated: 'Hello'", "fuzzy: 'Bye'"]


def _user(code: str | None) -> User:
    return User(id=1, is_bot=False, first_name="A", language_code=code)


def test_locale_prefers_the_persons_choice_then_telegram_then_default() -> None:
    chosen = Person(telegram_id=1, locale="en")
    assert resolve_locale(chosen, _user("ru"), "ru") == "en"
    assert resolve_locale(Person(telegram_id=1), _user("en-GB"), "ru") == "en"
    assert resolve_locale(None, _user("de"), "ru") == "ru"
    assert resolve_locale(None, None, "en") == "en"


def test_compiled_catalogs_translate_commands() -> None:
    i18n = create_i18n("ru")
    ru = bot_commands(i18n, "ru")
    en = bot_commands(i18n, "en")
    assert [c.command for c in ru] == [name for name, _ in COMMANDS]
    assert ru[0].description == "Главное меню"
    assert en[0].description == "Main menu"
