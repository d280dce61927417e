"""A point's staff at work: the point's card in a request's topic (hold, hand over, decline;
accept a family, moved out), and /stock — the counts kept by hand, in the point's staff group
or in a private chat with the bot."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import case as cd
from bot.dialogs import points as pd
from bot.dialogs.points import ResAction, ResCb, StockCb
from bot.dialogs.ui import show
from bot.points_work import PointsDesk
from bot.services import cases, staff
from bot.services import points as pts
from bot.services.points import RENTAL, Asked, Change, Point, Points
from db.base import utcnow
from db.models import HelpRequest, Person, Role

# The steps that only show a choice on the card; the others change something.
_CHOICES = {
    ResAction.HAND, ResAction.DECLINE, ResAction.EXTEND, ResAction.ACCEPT, ResAction.ARRIVE,
    ResAction.BACK,
}  # fmt: skip


async def _case(
    query: CallbackQuery, request_id: int, person: Person | None, session: AsyncSession
) -> HelpRequest | None:
    """The request of a point's button: pressed in the case's own group, by its team."""
    try:
        request = await cases.get(session, request_id)
    except cases.CaseNotFound:
        return None
    message = query.message
    if not isinstance(message, Message) or message.chat.id != request.staff_chat_id:
        return None
    if request.resource is None or not await cases.may_work(session, person, request):
        return None
    return request


async def on_card(
    query: CallbackQuery,
    callback_data: ResCb,
    person: Person | None,
    session: AsyncSession,
    points: Points,
    points_desk: PointsDesk,
    settings: Settings,
    callback_answer: CallbackAnswer,
) -> None:
    request = await _case(query, callback_data.request, person, session)
    if request is None or person is None:
        callback_answer.text, callback_answer.show_alert = cd.not_allowed_text(), True
        return
    try:
        asked = pts.asked(points, request)
    except pts.NotAPointRequest:
        callback_answer.text, callback_answer.show_alert = pd.not_found_text(), True
        return
    action = callback_data.action
    if action in _CHOICES:
        await _choice(query, callback_data, request, asked, session, points_desk, settings)
        return
    try:
        await _act(query, callback_data, request, asked, person, session, points, points_desk)
    except pts.NoneFree:
        callback_answer.text, callback_answer.show_alert = pd.none_free_text(), True
    except pts.WrongState:
        callback_answer.text, callback_answer.show_alert = pd.changed_meanwhile_text(), True
    except ValueError:
        callback_answer.text, callback_answer.show_alert = pd.date_past_text(), True
    else:
        callback_answer.text = pd.staff_done_text(action)
    await _show_card(query, request, session, points_desk)


async def _show_card(
    query: CallbackQuery, request: HelpRequest, session: AsyncSession, desk: PointsDesk
) -> None:
    """The card as it is now: edited where the button was (the card, or a family's ask)."""
    message = query.message
    card_id = (request.resource or {}).get("card")
    if isinstance(message, Message) and message.message_id == card_id:
        text, markup = await desk.card(session, request)
        await show(query, text, markup)
        return
    if isinstance(message, Message):  # a note with the family's ask: its buttons are spent
        await message.edit_reply_markup(reply_markup=None)
    await desk.refresh_card(session, request)


async def _choice(
    query: CallbackQuery,
    cb: ResCb,
    request: HelpRequest,
    asked: Asked,
    session: AsyncSession,
    desk: PointsDesk,
    settings: Settings,
) -> None:
    locale, kind = settings.default_locale, asked.point.kind
    if cb.action is ResAction.HAND:
        tz = desk.staff_timezone(request)
        default = pts.default_return(desk.points, asked.thing.key, utcnow(), tz)
        markup = pd.until_keyboard(request.id, asked.thing.loan_months)
        await show(query, pd.until_text(default, locale), markup)
    elif cb.action is ResAction.DECLINE:
        await show(query, pd.decline_text(), pd.decline_keyboard(request.id))
    elif cb.action is ResAction.EXTEND:
        await show(query, pd.longer_text(kind), pd.longer_keyboard(request.id, kind, False))
    elif cb.action is ResAction.ACCEPT:
        await show(query, pd.arrival_text(), pd.arrival_keyboard(request.id))
    elif cb.action is ResAction.ARRIVE and cb.opt in pd.ARRIVAL_DAYS:
        max_days = asked.thing.max_days
        await show(
            query, pd.stay_text(cb.opt, max_days), pd.stay_keyboard(request.id, cb.opt, max_days)
        )
    else:
        await _show_card(query, request, session, desk)


async def _act(
    query: CallbackQuery,
    cb: ResCb,
    request: HelpRequest,
    asked: Asked,
    person: Person,
    session: AsyncSession,
    points: Points,
    desk: PointsDesk,
) -> None:
    family = await cases.family_of(session, request)
    family_tz = (family.timezone if family else None) or desk.settings.timezone
    today = utcnow().astimezone(ZoneInfo(family_tz)).date()
    action = cb.action
    if action is ResAction.RESERVE:
        loan = await pts.reserve(session, points, request, person)
        until = loan.reserved_until or utcnow()
        await desk.tell_family(
            session, request,
            lambda _p, tz, locale: pd.family_reserved_text(asked, until, tz, locale),
        )  # fmt: skip
    elif action is ResAction.UNTIL:
        if cb.opt not in pd.loan_terms(asked.thing.loan_months):
            raise pts.WrongState(cb.opt)
        return_day = pts.add_months(today, cb.opt)
        lent = await pts.hand_over(session, points, request, person, return_day, family_tz)
        due = lent.due_at or utcnow()
        await desk.tell_family(
            session, request, lambda _p, tz, locale: pd.family_lent_text(asked, due, tz, locale)
        )
    elif action is ResAction.WHY:
        reason = pd.DeclineReason(str(cb.opt)) if str(cb.opt) in set(pd.DeclineReason) else None
        if reason is None:
            raise pts.WrongState(cb.opt)
        others = await pts.alternatives(session, points, asked.point, asked.thing.key)
        pts.decline_audit(session, person, request, reason.value)
        await relay.note_in_case(desk.bot, request, pd.declined_note(request.id, reason))
        await desk.tell_family(
            session, request,
            lambda _p, _tz, locale: pd.family_declined_text(asked, reason, others, locale),
            lambda _p, locale: pd.family_declined_keyboard(asked.point.kind, others, locale),
        )  # fmt: skip
    elif action is ResAction.CANCEL_HOLD:
        hold = await pts.held(session, request)
        if hold is None or not await pts.release(session, hold, person):
            raise pts.WrongState(request.id)
    elif action in (ResAction.RETURNED, ResAction.MOVED_OUT):
        given = await pts.held(session, request)
        if given is None:
            raise pts.WrongState(request.id)
        await pts.give_back(session, given, person)
        kind = asked.point.kind
        await desk.tell_family(
            session, request, lambda _p, _tz, _locale: pd.family_returned_text(kind)
        )
    elif action in (ResAction.LONGER, ResAction.REFUSE):
        await _longer(cb, request, asked, person, session, points, desk, family_tz)
    elif action is ResAction.STAY:
        offset, days = divmod(cb.opt, 1000)
        if offset not in pd.ARRIVAL_DAYS:
            raise pts.WrongState(cb.opt)
        arrival = today + timedelta(days=offset)
        stay = await pts.accept_stay(session, points, request, person, arrival, days, family_tz)
        await desk.tell_family(
            session, request, lambda _p, tz, locale: pd.family_stay_text(asked, stay, tz, locale)
        )


async def _longer(
    cb: ResCb,
    request: HelpRequest,
    asked: Asked,
    person: Person,
    session: AsyncSession,
    points: Points,
    desk: PointsDesk,
    family_tz: str,
) -> None:
    loan = await pts.held(session, request)
    if loan is None or loan.due_at is None:
        raise pts.WrongState(request.id)
    current = loan.due_at
    if cb.action is ResAction.REFUSE:
        await desk.tell_family(
            session, request, lambda _p, tz, locale: pd.family_refused_text(current, tz, locale)
        )
        return
    kind = asked.point.kind
    day = current.astimezone(ZoneInfo(family_tz)).date()
    if kind == RENTAL and cb.opt in (1, 3, 6):
        until = pts.add_months(day, cb.opt)
    elif kind != RENTAL and cb.opt in (7, 14, 30):
        until = day + timedelta(days=cb.opt)
    else:
        raise pts.WrongState(cb.opt)
    await pts.extend(session, points, loan, person, until, family_tz)
    due = loan.due_at or current
    await desk.tell_family(
        session, request,
        lambda _p, tz, locale: pd.family_extended_text(kind, due, tz, locale),
    )  # fmt: skip


# ------------------------------------------------------------------ /stock


async def _points_of(
    session: AsyncSession, person: Person | None, chat_id: int, private: bool, points: Points
) -> list[Point]:
    """The points whose counts this person may change here."""
    if person is None or person.role not in cases.STAFF_ROLES:
        return []
    if private:
        if person.role in (Role.COORDINATOR, Role.ADMIN):
            return list(points.items)
        return list(points.of_queues(await staff.queues_of(session, person)))
    linked = set(await staff.queues_of_chat(session, chat_id))
    mine = points.of_queues(linked)
    if person.role is Role.SPECIALIST:
        own = await staff.queues_of(session, person)
        mine = tuple(p for p in mine if p.queue in own)
    return list(mine)


async def on_stock(
    message: Message,
    person: Person | None,
    session: AsyncSession,
    points: Points,
    points_desk: PointsDesk,
) -> None:
    allowed = await _points_of(
        session, person, message.chat.id, message.chat.type == "private", points
    )
    if not allowed:
        await message.answer(pd.stock_none_text())
        return
    if len(allowed) > 1:
        await message.answer(
            pd.stock_points_text(),
            reply_markup=pd.stock_points_keyboard(allowed, points_desk.settings.default_locale),
        )
        return
    text, markup = await _stock_screen(session, allowed[0], points_desk)
    await message.answer(text, reply_markup=markup)


async def _stock_screen(
    session: AsyncSession, point: Point, desk: PointsDesk
) -> tuple[str, InlineKeyboardMarkup]:
    queue = desk.queues.get(point.queue)
    tz = queue.timezone if queue else desk.settings.timezone
    locale = desk.settings.default_locale
    found = await pts.counts(session, point)
    late = await pts.overdue(session, point)
    text = pd.stock_text(point, desk.points, found, late, utcnow(), tz, locale)
    return text, pd.stock_keyboard(point, desk.points, locale)


async def on_stock_button(
    query: CallbackQuery,
    callback_data: StockCb,
    person: Person | None,
    session: AsyncSession,
    points: Points,
    points_desk: PointsDesk,
    callback_answer: CallbackAnswer,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        return
    allowed = await _points_of(
        session, person, message.chat.id, message.chat.type == "private", points
    )
    point = next((p for p in allowed if p.key == callback_data.point), None)
    if point is None or person is None:
        callback_answer.text, callback_answer.show_alert = cd.not_allowed_text(), True
        return
    thing = callback_data.item
    if thing and thing not in point.things:
        thing = ""
    if not thing:
        text, markup = await _stock_screen(session, point, points_desk)
        await show(query, text, markup)
        return
    if callback_data.change:
        try:
            change = Change(callback_data.change)
        except ValueError:
            change = None
        if change is not None:
            if await pts.record(session, point, thing, change, person):
                callback_answer.text = "✓"
            else:
                callback_answer.text, callback_answer.show_alert = (
                    pd.stock_nothing_text(change),
                    True,
                )
    counts = (await pts.counts(session, point))[thing]
    locale = points_desk.settings.default_locale
    await show(
        query,
        pd.stock_item_text(point, points.things[thing], counts, locale),
        pd.stock_item_keyboard(point, thing),
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(
        on_card,
        ResCb.filter(),
        F.message.chat.type.in_({"group", "supergroup"}),
    )
    router.message.register(on_stock, Command("stock"))
    router.callback_query.register(on_stock_button, StockCb.filter())
    return router
