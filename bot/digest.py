"""The Monday digest, sent by the durable work runner (bot/work.py claims it): last week's
figures of the regions the person may see, with the chart of requests per week, in their
language and on their clock.

Exactly once: the item is marked done, and next week's planned, in the commit that comes
before the photo is sent (CommitBeforeSend) — so a restart after the send never sends it
again. A failed send puts the item back for a retry, which plans no second next week; a bot
killed between that commit and the send loses this one digest rather than sending two."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import BufferedInputFile
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dialogs import stats as sd
from bot.services import charts, digests, people, stats
from bot.services.regions import Regions
from bot.work import Handler
from db.base import utcnow
from db.models import DueWork, Person, WorkKind, WorkStatus
from db.repositories import WorkRepo
from db.repositories.figures import Scope
from db.session import Database

logger = logging.getLogger(__name__)
CHART_WEEKS = 8  # the chart shows the trend, not one lonely bar
PLAN_MINUTES = 15  # how often new coordinators get their first digest planned


class DigestWork:
    def __init__(self, bot: Bot, db: Database, i18n: I18n, settings: Settings, regions: Regions):
        self.bot = bot
        self.db = db
        self.i18n = i18n
        self.settings = settings
        self.regions = regions

    def tz(self, person: Person) -> str:
        return stats.clock_of(person, self.regions, self.settings.timezone)

    def handlers(self) -> dict[WorkKind, Handler]:
        return {WorkKind.STATS_DIGEST: self.send}

    async def plan(self) -> int:
        """The scheduler's job, and a start-up step."""
        async with self.db.session() as session, session.begin():
            return await digests.plan(session, self.tz, utcnow())

    async def send(self, session: AsyncSession, item: DueWork) -> None:
        person = await people.by_id(session, item.target_id)
        if person is None or not digests.wants(person) or not people.reachable(person):
            return  # no longer a lead, opted out or gone: nothing sent, nothing planned
        now, tz = utcnow(), self.tz(person)
        start, end = stats.last_week(now, tz)
        regions = stats.visible_regions(person)
        figures = await stats.figures(session, Scope(start, end, regions), now)
        trend = Scope(end - timedelta(weeks=CHART_WEEKS), end, regions)
        weeks = await stats.weekly(session, trend, tz)
        locale = person.locale or self.settings.default_locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            region = (
                sd.all_regions()
                if regions is None
                else ", ".join(r.name(locale) for r in self.regions.items if r.key in regions)
            )
            text = sd.digest_text(figures, sd.span_text(start, end, tz, locale), region, locale)
            words = sd.chart_words(locale)
        png = await asyncio.to_thread(charts.weekly_png, weeks, words)
        await WorkRepo(session).settle(item.id, WorkStatus.DONE)
        await digests.plan_after(session, person, tz, now, item.id)
        try:
            await self.bot.send_photo(
                person.telegram_id, BufferedInputFile(png, "week.png"), caption=text
            )
        except TelegramForbiddenError:
            people.mark_unreachable(person)
            logger.info("a digest's reader blocked the bot")
