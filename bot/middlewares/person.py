from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, User

from bot.middlewares.db import Handler
from bot.services.people import load_person


class PersonMiddleware(BaseMiddleware):
    """Puts `person` (or None) into handler data; the admin bootstrap happens here."""

    def __init__(self, admin_ids: tuple[int, ...]) -> None:
        self.admin_ids = admin_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        person = None
        if user is not None and not user.is_bot:
            # Families are enrolled in a private chat only; an admin also where they first
            # appear (a staff group, to link it to a queue).
            create = chat is None or chat.type == ChatType.PRIVATE or user.id in self.admin_ids
            person = await load_person(
                data["session"], user.id, create=create, admin_ids=self.admin_ids
            )
        data["person"] = person
        return await handler(event, data)
