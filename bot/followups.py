"""The durable work of check-ins and reminders, done with the Bot (bot/work.py claims it):
asking a family how things are (only in their waking hours, discreetly if they chose so), one
gentle reminder, telling the specialist when nobody answers, a specialist's own "call back at"
reminder, and one reminder of a request or self-assessment left half-way."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import checkin as ck
from bot.dialogs.onboarding import unprompted
from bot.routing import topic_link
from bot.services import cases, chat_log, checkins, people
from bot.services.checkins import CheckIns
from bot.work import BatchHandler, Deferred, Handler, Outcomes
from db.base import utcnow
from db.models import (
    DueWork,
    FollowUp,
    HelpRequest,
    Person,
    RequestStatus,
    WorkKind,
    WorkStatus,
)
from db.repositories import DraftsRepo, FollowUpsRepo, PeopleRepo, RequestsRepo, WorkRepo
from db.session import Database, current_session

logger = logging.getLogger(__name__)
SEND_CONCURRENCY = 16  # check-ins of a batch in flight at once
BLOCKED, FAILED = object(), object()
DRAFT_AGE = timedelta(hours=24)
DRAFT_SCAN_MINUTES = 15  # how often half-way drafts are looked for


class FollowUpWork:
    def __init__(
        self, bot: Bot, db: Database, i18n: I18n, settings: Settings, plans: CheckIns
    ) -> None:
        self.bot = bot
        self.db = db
        self.i18n = i18n
        self.settings = settings
        self.plans = plans

    def handlers(self) -> dict[WorkKind, Handler]:
        return {
            WorkKind.CHECKIN_REMIND: self.remind,
            WorkKind.CHECKIN_ESCALATE: self.escalate,
            WorkKind.CALL_REMINDER: self.call_reminder,
        }

    def batch_handlers(self) -> dict[WorkKind, BatchHandler]:
        return {WorkKind.CHECKIN: self.checkins}

    def _tz(self, person: Person) -> str:
        return person.timezone or self.settings.timezone

    def _awake(self, person: Person) -> None:
        """Nothing reaches a family at night: the item waits for their morning."""
        now = utcnow()
        allowed = self.plans.not_before(now, self._tz(person))
        if allowed > now:
            raise Deferred(allowed)

    async def _send(
        self,
        session: AsyncSession,
        family: Person,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> bool:
        try:
            await self.bot.send_message(family.telegram_id, text, reply_markup=markup)
        except TelegramForbiddenError:
            await self.blocked(session, family)
            return False
        return True

    async def blocked(self, session: AsyncSession, family: Person) -> None:
        """403: the family blocked the bot — nothing more is sent, their teams are told."""
        people.mark_unreachable(family)
        await checkins.cancel_for(session, family.id)
        for request in await RequestsRepo(session).of_person(family.id, 20):
            if request.status is not RequestStatus.CANCELLED and request.staff_chat_id:
                with self.i18n.context(), self.i18n.use_locale(self.settings.default_locale):
                    await relay.note_in_case(self.bot, request, ck.topic_blocked_text())

    async def checkins(self, items: list[DueWork], outcomes: Outcomes) -> None:
        """Check-ins fall due by the thousand: read and marked for a whole batch in one
        transaction, sent side by side, then recorded in one more. A check-in is marked sent
        before its send (as a reply is committed before it goes), so a crash in between
        loses it rather than sending it twice; a failed send puts it back."""
        now = utcnow()
        to_send: list[tuple[DueWork, FollowUp, Person, HelpRequest]] = []
        async with self.db.session() as session, session.begin():
            found = await FollowUpsRepo(session).with_family(i.target_id for i in items)
            for item in items:
                row = found.get(item.target_id)
                if row is None or row[0].status is not WorkStatus.PENDING:
                    outcomes.done.append(item.id)
                    continue
                follow_up, family, request = row
                if not people.reachable(family) or family.checkins_paused:
                    follow_up.status = WorkStatus.CANCELLED
                    outcomes.done.append(item.id)
                    continue
                allowed = self.plans.not_before(now, self._tz(family))
                if allowed > now:  # their night: in the morning
                    outcomes.deferred.append((item.id, allowed))
                    continue
                follow_up.status, follow_up.sent_at = WorkStatus.DONE, now
                plan = self.plans.plan_of(request)
                if plan is not None:
                    WorkRepo(session).add(WorkKind.CHECKIN_REMIND, follow_up.id,
                                          now + plan.remind_after, person_id=family.id)  # fmt: skip
                to_send.append((item, follow_up, family, request))
        slots = asyncio.Semaphore(SEND_CONCURRENCY)
        sent = await asyncio.gather(*(self._checkin(slots, *row[1:]) for row in to_send))
        blocked = []
        async with self.db.session() as session, session.begin():
            for (item, follow_up, family, _request), result in zip(to_send, sent, strict=True):
                if isinstance(result, int):
                    await chat_log.record(session, family.telegram_id, result, now)
                    outcomes.done.append(item.id)
                elif result is BLOCKED:
                    blocked.append(family.id)
                    outcomes.done.append(item.id)
                else:  # Telegram failed: the check-in is due again
                    await FollowUpsRepo(session).reopen(follow_up.id)
                    outcomes.failed.append(item)
        for family_id in blocked:
            await self._blocked_alone(family_id)

    async def _blocked_alone(self, family_id: int) -> None:
        """A unit of work of its own, committed before each note to a topic."""
        async with self.db.session() as session:
            token = current_session.set(session)
            try:
                family = await PeopleRepo(session).get(family_id)
                if family is not None:
                    await self.blocked(session, family)
                await session.commit()
            finally:
                current_session.reset(token)

    async def _checkin(
        self, slots: asyncio.Semaphore, follow_up: FollowUp, family: Person, request: HelpRequest
    ) -> int | object:
        """The check-in's message id, BLOCKED, or FAILED."""
        with self.i18n.context(), self.i18n.use_locale(family.locale or "ru"):
            text = unprompted(family, ck.checkin_text(request.id, request.help_kind))
            markup = ck.checkin_keyboard(follow_up.id)
        async with slots:
            try:
                message = await self.bot.send_message(family.telegram_id, text, reply_markup=markup)
            except TelegramForbiddenError:
                return BLOCKED
            except TelegramAPIError as exc:
                logger.warning("a check-in could not be sent: %s", type(exc).__name__)
                return FAILED
        return message.message_id

    async def remind(self, session: AsyncSession, item: DueWork) -> None:
        found = await self._unanswered(session, item)
        if found is None:
            return
        family, number, follow_up_id = found
        self._awake(family)
        request = await RequestsRepo(session).get(number)
        plan = self.plans.plan_of(request) if request is not None else None
        if plan is not None:  # still no answer by then: the specialist is told
            WorkRepo(session).add(WorkKind.CHECKIN_ESCALATE, follow_up_id,
                                  utcnow() + plan.tell_after - plan.remind_after,
                                  person_id=family.id)  # fmt: skip
        with self.i18n.context(), self.i18n.use_locale(family.locale or "ru"):
            text = unprompted(family, ck.checkin_reminder_text(number))
            markup = ck.checkin_keyboard(follow_up_id)
        await self._send(session, family, text, markup)

    async def escalate(self, session: AsyncSession, item: DueWork) -> None:
        found = await self._unanswered(session, item)
        if found is None:
            return
        _family, number, _follow_up = found
        request = await RequestsRepo(session).get(number)
        if request is None:
            return
        with self.i18n.context(), self.i18n.use_locale(self.settings.default_locale):
            text = ck.topic_no_answer_text(number)
            await relay.note_in_case(self.bot, request, text)
            holder = await cases.holder_of(session, request)
            if holder is not None and holder.is_active:
                await self._staff(holder, text)

    async def _unanswered(
        self, session: AsyncSession, item: DueWork
    ) -> tuple[Person, int, int] | None:
        follow_up = await FollowUpsRepo(session).get(item.target_id)
        if follow_up is None or follow_up.answer is not None:
            return None
        family = await PeopleRepo(session).get(follow_up.person_id)
        if family is None or not people.reachable(family) or family.checkins_paused:
            return None
        return family, follow_up.request_id, follow_up.id

    async def call_reminder(self, session: AsyncSession, item: DueWork) -> None:
        request = await RequestsRepo(session).get(item.target_id)
        specialist = await PeopleRepo(session).get(item.person_id) if item.person_id else None
        if request is None or specialist is None or not specialist.is_active:
            return
        when = str(item.payload.get("when", ""))
        link = topic_link(request)
        with (
            self.i18n.context(),
            self.i18n.use_locale(specialist.locale or self.settings.default_locale),
        ):
            text = ck.call_reminder_text(request.id, when, str(item.payload.get("note", "")), link)
        await self._staff(specialist, text)

    async def _staff(self, person: Person, text: str) -> None:
        try:
            await self.bot.send_message(person.telegram_id, text)
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            logger.info("could not remind a staff member: %s", type(exc).__name__)


async def remind_drafts(
    db: Database, bot: Bot, i18n: I18n, settings: Settings, plans: CheckIns
) -> int:
    """One reminder per draft left for a day: never at night, never twice (the claim is a
    conditional UPDATE of the draft's `reminded_at`)."""
    sent = 0
    now = utcnow()
    async with db.session() as session, session.begin():
        stale = await DraftsRepo(session).stale(now - DRAFT_AGE)
    for person_id, kind in stale:
        async with db.session() as session:
            family = await PeopleRepo(session).get(person_id)
            if family is None or not people.reachable(family):
                continue
            tz = family.timezone or settings.timezone
            if plans.not_before(now, tz) > now:
                continue  # their night: the next pass after their morning sends it
            if not await DraftsRepo(session).mark_reminded(person_id, kind, now):
                continue
            await session.commit()
            with i18n.context(), i18n.use_locale(family.locale or "ru"):
                text = unprompted(family, ck.draft_reminder_text(kind))
                markup = ck.draft_reminder_keyboard(kind)
            try:
                await bot.send_message(family.telegram_id, text, reply_markup=markup)
                sent += 1
            except TelegramForbiddenError:
                people.mark_unreachable(family)
                await session.commit()
    return sent
