"""/stats for coordinators and admins: the figures of a period, region and queue; three
charts; the period's requests as CSV and XLSX; the audit log for admins. What the screen
shows is kept in the dialog's data (period, dates, region, queue), and every press checks
again, on the server, what this person may see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dialogs import points as pd
from bot.dialogs import stats as sd
from bot.dialogs.stats import DigestCb, StatsAction, StatsCb, StatsFlow
from bot.dialogs.ui import show
from bot.handlers.common import on_settings
from bot.services import charts, digests, exports, stats
from bot.services import points as pts
from bot.services.points import Points
from bot.services.queues import ALL_REGIONS, Queues
from bot.services.regions import Regions
from db.base import utcnow
from db.models import Person, Role
from db.repositories.figures import Scope
from db.session import Database

Event = Message | CallbackQuery
DEFAULT_PERIOD = "30"


@dataclass(frozen=True)
class Desk:
    """What every screen of /stats reads, from the dispatcher's workflow data."""

    settings: Settings
    regions: Regions
    queues: Queues
    points: Points
    locale: str
    db: Database

    @classmethod
    def of(cls, data: dict[str, Any]) -> Desk:
        """From the handler's keyword data (aiogram passes all of it to a `**data`)."""
        i18n: I18n = data["i18n"]
        return cls(
            data["settings"], data["regions"], data["queues"], data["points"],
            i18n.current_locale, data["db"],
        )  # fmt: skip

    def tz(self, person: Person) -> str:
        return stats.clock_of(person, self.regions, self.settings.timezone)


def _span(data: dict[str, Any], now: datetime, tz: str) -> tuple[datetime, datetime]:
    period = data.get("period", DEFAULT_PERIOD)
    if period == "month":
        return stats.this_month(now, tz)
    if period == "custom" and data.get("start") and data.get("end"):
        return datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"])
    return stats.last_days(int(period) if period.isdigit() else 30, now, tz)


def _queues_for(queues: Queues, regions: frozenset[str] | None) -> list[str]:
    return [
        q.key
        for q in queues.items
        if regions is None or ALL_REGIONS in q.regions or regions & set(q.regions)
    ]


async def _scope(
    person: Person, state: FSMContext, queues: Queues, tz: str
) -> tuple[Scope, dict[str, Any]]:
    """What the screen shows, narrowed again to what the person may see now (a role or a
    region may have changed since the buttons were drawn)."""
    data = await state.get_data()
    regions = stats.narrow(person, data.get("region") or None)
    queue = data.get("queue") or None
    if queue not in _queues_for(queues, regions):
        queue = None
    start, end = _span(data, utcnow(), tz)
    return Scope(start, end, regions, queue), data


def _region_name(scope: Scope, regions: Regions, locale: str) -> str:
    if scope.regions is None:
        return sd.all_regions()
    return ", ".join(
        (r.name(locale) if (r := regions.get(key)) else key) for key in sorted(scope.regions)
    )


def _points_lines(points: Points, scope: Scope, locale: str, figures: list[Any]) -> list[str]:
    mine = [f for f in figures if scope.regions is None or f.point.region in scope.regions]
    return pd.figures_lines(mine, locale) if mine else []


@asynccontextmanager
async def _reading(session: AsyncSession, db: Database) -> AsyncIterator[AsyncSession]:
    """Reports read for a while (a year's XLSX: seconds). The update's transaction has held
    SQLite's write lock since the update was claimed: commit it first, so no family's update
    waits, and read on a connection of the reports' own."""
    await session.commit()
    async with db.reader() as reader:
        yield reader


async def _screen(
    event: Event, person: Person, state: FSMContext, session: AsyncSession, desk: Desk
) -> None:
    regions, queues, points, locale = desk.regions, desk.queues, desk.points, desk.locale
    tz = desk.tz(person)
    scope, data = await _scope(person, state, queues, tz)
    async with _reading(session, desk.db) as reader:
        figures = await stats.figures(reader, scope, utcnow())
        stock_figures = await pts.figures(reader, points)
    queue = queues.get(scope.queue or "")
    text = sd.figures_text(
        figures,
        sd.span_text(scope.start, scope.end, tz, locale),
        sd.period_title(data.get("period", DEFAULT_PERIOD)),
        _region_name(scope, regions, locale),
        queue.name(locale) if queue else sd.all_queues(),
        locale,
    )
    stock = _points_lines(points, scope, locale, stock_figures)
    if stock:
        text += "\n\n" + "\n".join(stock)
    await state.set_state(StatsFlow.screen)
    keyboard = sd.screen_keyboard(
        data.get("period", DEFAULT_PERIOD),
        person.role is Role.ADMIN,
        pickers=stats.visible_regions(person) is None,
    )
    await show(event, text, keyboard)


async def on_stats(
    message: Message,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    **data: Any,
) -> None:
    if not stats.may_see(person):
        await message.answer(sd.not_allowed_text())
        return
    await state.set_data({"period": DEFAULT_PERIOD})
    desk = Desk.of(data)
    await _screen(message, person, state, session, desk)


async def on_action(
    query: CallbackQuery,
    callback_data: StatsCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    callback_answer: CallbackAnswer,
    **data: Any,
) -> None:
    if not stats.may_see(person):
        callback_answer.text, callback_answer.show_alert = sd.not_allowed_text(), True
        return
    desk = Desk.of(data)
    action, value = callback_data.action, callback_data.value
    if action is StatsAction.PERIOD and value == "custom":
        await state.set_state(StatsFlow.custom)
        await show(query, sd.ask_range_text(), sd.back_keyboard())
    elif action is StatsAction.PERIOD and value in sd.PERIODS:
        await state.update_data(period=value)
        await _screen(query, person, state, session, desk)
    elif action is StatsAction.REGIONS:
        await _pick_region(query, person, state, desk.regions, desk.locale)
    elif action is StatsAction.QUEUES:
        await _pick_queue(query, person, state, desk.queues, desk.locale)
    elif action in (StatsAction.REGION, StatsAction.QUEUE):
        await _chosen(person, state, action, value, desk.regions, desk.queues)
        await _screen(query, person, state, session, desk)
    elif action is StatsAction.BACK:
        await _screen(query, person, state, session, desk)
    else:
        callback_answer.text = sd.working_text()
        await _deliver(query, action, person, state, session, bot, desk)


def _stamp(scope: Scope, tz: str) -> str:
    """The period in a file's name: requests-2027-02-14--2027-03-15.csv."""
    zone = ZoneInfo(tz)
    return "--".join(
        moment.astimezone(zone).date().isoformat() for moment in (scope.start, scope.end)
    )


async def _pick_region(
    query: CallbackQuery, person: Person, state: FSMContext, regions: Regions, locale: str
) -> None:
    allowed = stats.visible_regions(person)
    choices = [
        (r.key, r.name(locale)) for r in regions.items if allowed is None or r.key in allowed
    ]
    chosen = (await state.get_data()).get("region", "")
    keyboard = sd.picker_keyboard(StatsAction.REGION, choices, chosen)
    await show(query, sd.region_picker_text(), keyboard)


async def _pick_queue(
    query: CallbackQuery, person: Person, state: FSMContext, queues: Queues, locale: str
) -> None:
    data = await state.get_data()
    keys = _queues_for(queues, stats.narrow(person, data.get("region") or None))
    choices = [(key, q.name(locale)) for key in keys if (q := queues.get(key))]
    keyboard = sd.picker_keyboard(StatsAction.QUEUE, choices, data.get("queue", ""))
    await show(query, sd.queue_picker_text(), keyboard)


async def _chosen(
    person: Person,
    state: FSMContext,
    action: StatsAction,
    value: str,
    regions: Regions,
    queues: Queues,
) -> None:
    if action is StatsAction.REGION:
        allowed = stats.visible_regions(person)
        ok = value == "" or (regions.get(value) and (allowed is None or value in allowed))
        await state.update_data(region=value if ok else "", queue="")
    else:
        await state.update_data(queue=value if value == "" or queues.get(value) else "")


async def _deliver(
    query: CallbackQuery,
    action: StatsAction,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
    desk: Desk,
) -> None:
    locale, tz = desk.locale, desk.tz(person)
    scope, _data = await _scope(person, state, desk.queues, tz)
    span = sd.span_text(scope.start, scope.end, tz, locale)
    chat = query.from_user.id
    stamp = _stamp(scope, tz)
    if action is StatsAction.CHARTS:
        async with _reading(session, desk.db) as reader:
            figures = await stats.figures(reader, scope, utcnow())
            weeks = await stats.weekly(reader, scope, tz)
        for chart in await charts.render(figures, weeks, sd.chart_words(locale)):
            photo = BufferedInputFile(chart.png, filename=f"{chart.name}.png")
            await bot.send_photo(chat, photo, caption=sd.charts_caption(chart.name, span))
    elif action in (StatsAction.CSV, StatsAction.XLSX):
        sheet = sd.export_sheet(tz)
        xlsx = action is StatsAction.XLSX
        async with _reading(session, desk.db) as reader:
            made = await (exports.requests_xlsx if xlsx else exports.requests_csv)(
                reader, scope, sheet
            )
        what = "requests.xlsx" if xlsx else "requests.csv"
        exports.record(session, person, what, scope.start, scope.end, made.rows, scope)
        document = BufferedInputFile(made.data, filename=f"requests-{stamp}.{what.split('.')[1]}")
        await bot.send_document(chat, document, caption=sd.export_caption(made.rows, span))
    elif action is StatsAction.AUDIT:
        if person.role is not Role.ADMIN:
            await bot.send_message(chat, sd.admins_only_text())
            return
        async with _reading(session, desk.db) as reader:
            made = await exports.audit_csv(reader, scope.start, scope.end, tz, sd.audit_headers())
        exports.record(session, person, "audit.csv", scope.start, scope.end, made.rows)
        document = BufferedInputFile(made.data, filename=f"audit-{stamp}.csv")
        await bot.send_document(chat, document, caption=sd.audit_caption(made.rows, span))


async def on_range(
    message: Message,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    **data: Any,
) -> None:
    if not stats.may_see(person):
        await state.clear()
        await message.answer(sd.not_allowed_text())
        return
    desk = Desk.of(data)
    try:
        start, end = stats.parse_range(message.text or "", utcnow(), desk.tz(person))
    except stats.BadPeriod as bad:
        await message.answer(sd.bad_range_text(bad.reason))
        return
    await state.update_data(period="custom", start=start.isoformat(), end=end.isoformat())
    await _screen(message, person, state, session, desk)


async def on_digest(
    query: CallbackQuery,
    callback_data: DigestCb,
    person: Person,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    regions: Regions,
    callback_answer: CallbackAnswer,
) -> None:
    """The Monday digest on or off, from the settings."""
    if not stats.may_see(person):
        callback_answer.text, callback_answer.show_alert = sd.not_allowed_text(), True
        return
    tz = stats.clock_of(person, regions, settings.timezone)
    await digests.set_wanted(session, person, callback_data.on, tz, utcnow())
    await on_settings(query, person, state, regions, sd.digest_changed_text(callback_data.on))


async def on_range_other(message: Message) -> None:
    """A sticker or a photo where dates are expected."""
    await message.answer(sd.bad_range_text("format"))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(on_stats, Command("stats"))
    router.message.register(on_range, StatsFlow.custom, F.text, ~F.text.startswith("/"))
    router.message.register(on_range_other, StatsFlow.custom, ~F.text.startswith("/"))
    router.callback_query.register(on_action, StatsCb.filter())
    router.callback_query.register(on_digest, DigestCb.filter())
    return router
