"""«Things for the child» and «A safe place to stay»: the points of the family's region with
what is free now, and a request for an item or a place in a few taps. Every choice travels in
the buttons, so a forged or outdated one is checked against the points file."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import onboarding as ob
from bot.dialogs import points as pd
from bot.dialogs import request as rq
from bot.dialogs.points import PtCb, Step
from bot.dialogs.ui import show
from bot.points_work import PointsDesk
from bot.services import points as pts
from bot.services import requests
from bot.services.points import RENTAL, Asked, Points, When
from bot.services.queues import Queues
from bot.services.regions import Regions
from bot.services.requests import RequestDraft
from bot.work import WorkRunner
from db.base import utcnow
from db.models import ContactMethod, Person, Urgency


async def on_menu(
    query: CallbackQuery,
    callback_data: ob.MenuCb,
    person: Person,
    session: AsyncSession,
    points: Points,
    regions: Regions,
    settings: Settings,
) -> None:
    kind = RENTAL if callback_data.item is ob.MenuItem.THINGS else pts.SHELTER
    await _overview(query, kind, person.region or "", person, session, points, regions, settings)


async def _overview(
    query: CallbackQuery,
    kind: str,
    region: str,
    person: Person,
    session: AsyncSession,
    points: Points,
    regions: Regions,
    settings: Settings,
    lead: str = "",
) -> None:
    locale = person.locale or settings.default_locale
    known = regions.get(region)
    found = await pts.counts_of(session, points.in_region(region, kind))
    tz = person.timezone or settings.timezone
    text = pd.overview_text(
        kind, region, known.name(locale) if known else "—", points, found, utcnow(), tz, locale
    )
    markup = pd.overview_keyboard(kind, region, points, found, locale)
    await show(query, f"{lead}\n\n{text}" if lead else text, markup)


def _asked(points: Points, cb: PtCb, kind: str) -> Asked | None:
    """The point and thing of a button, if they are (still) in the points file."""
    point, thing = points.get(cb.p), points.thing(cb.i)
    if point is None or thing is None or point.kind != kind or thing.key not in point.things:
        return None
    who_codes = {a.value for a in pts.Age} if kind == RENTAL else {p.value for p in pts.Party}
    who = cb.a if cb.a in who_codes else ""
    try:
        when = When(cb.w)
    except ValueError:
        when = When.LATER
    if kind == RENTAL and when is When.TONIGHT:
        when = When.SOON
    return Asked(point, thing, who, when)


async def on_step(
    query: CallbackQuery,
    callback_data: PtCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    points: Points,
    regions: Regions,
    settings: Settings,
    queues: Queues,
    work: WorkRunner,
    callback_answer: CallbackAnswer,
) -> None:
    cb = callback_data
    kind = pd.kind_of(cb.k)
    locale = person.locale or settings.default_locale
    if cb.s is Step.OVERVIEW:
        region = cb.g if regions.get(cb.g) is not None else person.region or ""
        await _overview(query, kind, region, person, session, points, regions, settings)
        return
    if cb.s is Step.REGIONS:
        await show(query, pd.regions_text(), pd.regions_keyboard(kind, regions, locale))
        return
    if cb.s is Step.THING:
        await _choose_point(query, cb, kind, person, session, points, regions, settings)
        return
    asked = _asked(points, cb, kind)
    if asked is None:  # a point or thing taken out of the file since the button was sent
        callback_answer.text = pd.not_found_text()
        await _overview(
            query, kind, person.region or "", person, session, points, regions, settings
        )
        return
    if cb.s is Step.POINT or not asked.who:
        await show(
            query,
            pd.who_text(kind, asked.point, asked.thing, locale),
            pd.who_keyboard(kind, asked.point, asked.thing),
        )
    elif cb.s is Step.WHO:
        await show(
            query,
            pd.when_text(kind),
            pd.when_keyboard(kind, asked.point, asked.thing.key, asked.who),
        )
    elif cb.s is Step.WHEN:
        text = pd.review_text(kind, asked, locale)
        if asked.when is When.TONIGHT:
            text = f"{ob.sos_lead(settings)}\n\n{text}"
        await show(query, text, pd.review_keyboard(kind, asked))
    else:
        await _send(query, kind, asked, person, session, state, settings, queues, work)


async def _choose_point(
    query: CallbackQuery,
    cb: PtCb,
    kind: str,
    person: Person,
    session: AsyncSession,
    points: Points,
    regions: Regions,
    settings: Settings,
) -> None:
    locale = person.locale or settings.default_locale
    thing = points.thing(cb.i)
    having = tuple(p for p in points.in_region(cb.g, kind) if thing and thing.key in p.things)
    if thing is None or not having:
        await _overview(query, kind, cb.g, person, session, points, regions, settings)
        return
    if len(having) == 1:
        point = having[0]
        await show(
            query, pd.who_text(kind, point, thing, locale), pd.who_keyboard(kind, point, thing)
        )
        return
    found = await pts.counts_of(session, having)
    options = [(p, found[p.key][thing.key].free) for p in having]
    await show(
        query,
        pd.choose_point_text(thing, locale),
        pd.choose_point_keyboard(kind, thing, options, cb.g, locale),
    )


async def _send(
    query: CallbackQuery,
    kind: str,
    asked: Asked,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    settings: Settings,
    queues: Queues,
    work: WorkRunner,
) -> None:
    resource = pts.resource(asked.point, asked.thing.key, asked.who, asked.when)
    earlier = await requests.open_for_resource(session, person, resource)
    if earlier is not None:  # a second tap on «Send», or the same thing asked twice
        await show(query, pd.already_sent_text(earlier.id), ob.back_to_menu_keyboard())
        return
    tonight = asked.when is When.TONIGHT
    draft = RequestDraft(
        category=asked.point.help_kind,
        urgency=_urgency(kind, asked.when),
        contact=ContactMethod.CHAT,
        red_flags=[pts.NO_SHELTER_FLAG] if tonight else [],
        resource=resource,
        queue_key=asked.point.queue,
    )
    request = await requests.submit(session, person, draft, queues)
    await state.clear()
    expectation = await requests.expectation(session, request, queues)
    tz = person.timezone or settings.timezone
    locale = person.locale or settings.default_locale
    text = rq.submitted_text(request, expectation, settings.emergency_phone, tz, locale)
    await show(query, f"{text}\n\n{pd.sent_extra_text(kind)}", rq.submitted_keyboard())
    work.nudge()  # committed before the reply: the point's topic opens now


async def on_loan(
    query: CallbackQuery,
    callback_data: pd.LoanCb,
    person: Person,
    session: AsyncSession,
    points: Points,
    points_desk: PointsDesk,
    settings: Settings,
) -> None:
    """«Ask to keep it longer» or «I'll bring it back» under a return reminder."""
    message = query.message
    found = await pts.family_loan(session, person, callback_data.loan)
    if isinstance(message, Message):
        await message.edit_reply_markup(reply_markup=None)
    if found is None:
        await show_new(query, pd.loan_gone_text())
        return
    loan, request = found
    point = points.get(loan.point_key)
    thing = points.thing(loan.item_key)
    if point is None or thing is None:
        await show_new(query, pd.loan_gone_text())
        return
    with points_desk.i18n.use_locale(settings.default_locale):  # the team's language
        name = thing.name(settings.default_locale)
        if callback_data.action is pd.LoanAction.LONGER:
            note = pd.family_asks_longer_note(request.id, name)
            markup = pd.longer_keyboard(request.id, point.kind, True)
        else:
            note, markup = pd.family_brings_note(request.id, name), None
    await relay.note_in_case(points_desk.bot, request, note, markup)
    locale = person.locale or settings.default_locale
    if callback_data.action is pd.LoanAction.LONGER:
        await show_new(query, pd.family_longer_asked_text())
    else:
        await show_new(query, pd.family_bring_text(point, locale))


async def show_new(query: CallbackQuery, text: str) -> None:
    """An answer under the reminder, which stays as it was."""
    assert query.bot is not None
    await query.bot.send_message(query.from_user.id, text)


def _urgency(kind: str, when: When) -> Urgency:
    """No roof tonight is an emergency; a place needed within days is urgent for the team,
    a pram within days is not."""
    if when is When.TONIGHT:
        return Urgency.EMERGENCY
    return Urgency.HIGH if when is When.SOON and kind != RENTAL else Urgency.NORMAL


def create_router() -> Router:
    router = Router(name=__name__)
    cb = router.callback_query.register
    cb(on_menu, ob.MenuCb.filter(F.item.in_({ob.MenuItem.THINGS, ob.MenuItem.SHELTER})))
    cb(on_step, PtCb.filter())
    cb(on_loan, pd.LoanCb.filter())
    return router
