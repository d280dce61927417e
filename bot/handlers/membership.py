"""A person blocking or unblocking the bot decides whether we may write to them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import KICKED, MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from bot.services import people
from db.models import Person


async def on_blocked(event: ChatMemberUpdated, person: Person | None) -> None:
    if person is not None:
        people.mark_unreachable(person)


async def on_unblocked(event: ChatMemberUpdated, person: Person | None) -> None:
    if person is not None:
        person.is_active = True


def create_router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.filter(F.chat.type == "private")
    router.my_chat_member.register(
        on_blocked, ChatMemberUpdatedFilter(member_status_changed=KICKED)
    )
    router.my_chat_member.register(
        on_unblocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER)
    )
    return router
