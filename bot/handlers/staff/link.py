"""/link_queue <key>, sent by an admin in a staff group: the group becomes the queue's, and
the bot says exactly which of its rights are missing (a plain group, or a forum where it may
not manage topics, still gets every request, as cards the team answers by replying)."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberAdministrator, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogs import staff as sd
from bot.services import staff
from bot.services.queues import Queues
from db.models import Person, Role


async def on_link_queue(
    message: Message,
    command: CommandObject,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    queues: Queues,
) -> None:
    if person is None or person.role is not Role.ADMIN:
        await message.reply(sd.admins_only_text())
        return
    key = (command.args or "").strip()
    queue = queues.get(key)
    if queue is None:
        await message.reply(sd.unknown_queue_text(key, [q.key for q in queues.items]))
        return
    member = await bot.get_chat_member(message.chat.id, bot.id)
    missing = []
    is_admin = (
        isinstance(member, ChatMemberAdministrator) or member.status == ChatMemberStatus.CREATOR
    )
    forum = bool(message.chat.is_forum)
    if not is_admin:
        missing.append(sd.Right.ADMIN)
    elif isinstance(member, ChatMemberAdministrator):
        if forum and not member.can_manage_topics:
            missing.append(sd.Right.TOPICS)
        if not member.can_pin_messages:
            missing.append(sd.Right.PIN)
    topics = forum and is_admin and sd.Right.TOPICS not in missing
    await staff.link_queue(session, queue.key, message.chat.id, topics, person)
    await message.reply(sd.linked_text(queue.name(person.locale or "ru"), forum, topics, missing))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type.in_({"group", "supergroup"}))
    router.message.register(on_link_queue, Command("link_queue"))
    return router
