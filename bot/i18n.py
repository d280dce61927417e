"""gettext plumbing: catalogs in locales/, the person's language first, then Telegram's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram.types import BotCommand, TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.config import LOCALES
from db.models import Person

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


def create_i18n(default_locale: str) -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def resolve_locale(person: Person | None, user: User | None, default: str) -> str:
    if person is not None and person.locale in LOCALES:
        return person.locale
    code = (user.language_code or "") if user is not None else ""
    base = code.split("-")[0].lower()
    return base if base in LOCALES else default


class LocaleMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return resolve_locale(
            data.get("person"), data.get("event_from_user"), self.i18n.default_locale
        )


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated later, for a chosen locale."""
    return message


COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Main menu")),
    ("sos", N_("Emergency contacts, day and night")),
    ("request", N_("Ask for help")),
    ("my", N_("My requests")),
    ("assessment", N_("How is my family doing: a few questions")),
    ("services", N_("Where to get help in your region")),
    ("help", N_("How the bot works")),
    ("language", N_("Change the language")),
    ("settings", N_("Region, language and other settings")),
    ("privacy", N_("Your data and consent")),
    ("forget", N_("Delete all my data")),
)


def bot_commands(i18n: I18n, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=i18n.gettext(text, locale=locale))
        for name, text in COMMANDS
    ]
