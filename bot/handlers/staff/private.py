"""The staff's private chat with the bot: accepting an invitation (/start inv_…), /duty,
and for administrators /invite and /staff. Every command checks the role on the server;
a parent who tries one is told it is for staff, and nothing changes."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogs import points as pd
from bot.dialogs import staff as sd
from bot.dialogs.ui import show
from bot.services import people, staff
from bot.services import points as pts
from bot.services.overview import queues_overview
from bot.services.points import Points
from bot.services.queues import Queues
from bot.services.regions import Regions
from db.base import utcnow
from db.models import Person, Role

STAFF = (Role.SPECIALIST, Role.COORDINATOR, Role.ADMIN)


async def on_invite_link(
    message: Message,
    command: CommandObject,
    person: Person,
    session: AsyncSession,
    queues: Queues,
) -> None:
    token = (command.args or "").removeprefix(staff.INVITE_PREFIX)
    assert message.from_user is not None
    try:
        used = await staff.accept(session, person, token, message.from_user.first_name)
    except staff.InviteInvalid:
        await message.answer(sd.invite_invalid_text())
        return
    if person.locale is None:
        people.set_locale(person, message.from_user.language_code or "ru")
    queue = queues.get(used.queue_key or "")
    locale = person.locale or "ru"
    await message.answer(
        sd.welcome_text(sd.role_name(used.role.value), queue.name(locale) if queue else None)
    )


async def on_invite(
    message: Message,
    command: CommandObject,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    queues: Queues,
    regions: Regions,
) -> None:
    if person.role is not Role.ADMIN:
        await message.answer(sd.admins_only_text())
        return
    args = (command.args or "").split()
    role = args[0] if args else ""
    queue = queues.get(args[1]) if len(args) > 1 else None
    region = regions.get(args[1]) if len(args) > 1 else None
    if role == "specialist" and queue is not None:
        granted, key, region_key = Role.SPECIALIST, queue.key, None
    elif role == "coordinator" and (len(args) == 1 or region is not None):
        granted, key, region_key = Role.COORDINATOR, None, region.key if region else None
    else:
        await message.answer(sd.invite_usage_text())
        return
    token = staff.invite(session, person, granted, key, region_key)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={staff.INVITE_PREFIX}{token}"
    locale = person.locale or "ru"
    await message.answer(
        sd.invite_text(link, sd.role_name(granted.value), queue.name(locale) if queue else None)
    )


async def _duty_screen(
    event: Message | CallbackQuery, person: Person, session: AsyncSession, queues: Queues
) -> None:
    locale = person.locale or "ru"
    mine = [
        (m, q.name(locale) if (q := queues.get(m.queue_key)) else m.queue_key)
        for m in await staff.memberships(session, person)
    ]
    await show(event, sd.duty_text(mine), sd.duty_keyboard(mine))


async def on_duty(message: Message, person: Person, session: AsyncSession, queues: Queues) -> None:
    if person.role not in STAFF:
        await message.answer(sd.not_staff_text())
        return
    await _duty_screen(message, person, session, queues)


async def on_duty_toggle(
    query: CallbackQuery,
    callback_data: sd.DutyCb,
    person: Person,
    session: AsyncSession,
    queues: Queues,
    callback_answer: CallbackAnswer,
) -> None:
    mine = {m.queue_key: m for m in await staff.memberships(session, person)}
    membership = mine.get(callback_data.queue)
    if person.role not in STAFF or membership is None:
        callback_answer.text, callback_answer.show_alert = sd.not_staff_text(), True
        return
    staff.toggle_duty(session, person, membership)
    await _duty_screen(query, person, session, queues)


async def on_staff(message: Message, person: Person, session: AsyncSession, queues: Queues) -> None:
    if person.role is not Role.ADMIN:
        await message.answer(sd.admins_only_text())
        return
    by_queue, leads = await staff.roster(session)
    locale = person.locale or "ru"
    names = {q.key: q.name(locale) for q in queues.items}
    revocable = {p.id: p for _m, p in by_queue} | {
        p.id: p for p in leads if p.role is not Role.ADMIN
    }
    await message.answer(
        sd.roster_text(by_queue, leads, names),
        reply_markup=sd.roster_keyboard(list(revocable.values())),
    )


async def on_revoke(
    query: CallbackQuery,
    callback_data: sd.RevokeCb,
    person: Person,
    session: AsyncSession,
    callback_answer: CallbackAnswer,
) -> None:
    if person.role is not Role.ADMIN:
        callback_answer.text, callback_answer.show_alert = sd.admins_only_text(), True
        return
    revoked = await staff.revoke(session, person, callback_data.person)
    if revoked is not None:
        await show(query, sd.revoked_text(revoked.display_name or "—"))


async def on_queues(
    message: Message, person: Person, session: AsyncSession, queues: Queues, points: Points
) -> None:
    if person.role not in (Role.COORDINATOR, Role.ADMIN):
        await message.answer(sd.not_staff_text())
        return
    locale = person.locale or "ru"
    rows = await queues_overview(session, queues, utcnow())
    names = {q.key: q.name(locale) for q in queues.items}
    stock = pd.figures_lines(await pts.figures(session, points), locale)
    await message.answer(sd.overview_text(rows, names, locale) + "\n\n" + "\n".join(stock))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(
        on_invite_link, CommandStart(deep_link=True, magic=F.args.startswith(staff.INVITE_PREFIX))
    )
    router.message.register(on_invite, Command("invite"))
    router.message.register(on_duty, Command("duty"))
    router.callback_query.register(on_duty_toggle, sd.DutyCb.filter())
    router.message.register(on_staff, Command("staff"))
    router.message.register(on_queues, Command("queues"))
    router.callback_query.register(on_revoke, sd.RevokeCb.filter())
    return router
