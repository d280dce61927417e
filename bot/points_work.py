"""The Bot side of rental points and crisis places: the point's card in a request's topic
(with what is free now), what the family is told of each step, and the durable work of
loans — a hold that runs out, a return date near, a stay nearing its end."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot import relay
from bot.config import Settings
from bot.dialogs import points as pd
from bot.dialogs.onboarding import unprompted
from bot.services import cases, people
from bot.services import points as pts
from bot.services.points import Asked, Points
from bot.services.queues import Queues
from bot.work import Handler
from db.base import utcnow
from db.models import DueWork, HelpRequest, Loan, LoanStatus, Person, WorkKind
from db.repositories import RequestsRepo

logger = logging.getLogger(__name__)


class PointsDesk:
    """Everything the point's topic and the family see of an item or a place."""

    def __init__(
        self, bot: Bot, i18n: I18n, settings: Settings, points: Points, queues: Queues
    ) -> None:
        self.bot = bot
        self.i18n = i18n
        self.settings = settings
        self.points = points
        self.queues = queues

    def staff_timezone(self, request: HelpRequest) -> str:
        queue = self.queues.get(request.queue_key or "")
        return queue.timezone if queue is not None else self.settings.timezone

    async def card(
        self, session: AsyncSession, request: HelpRequest
    ) -> tuple[str, InlineKeyboardMarkup]:
        asked = pts.asked(self.points, request)
        counts = (await pts.counts(session, asked.point))[asked.thing.key]
        loan = await pts.last(session, request)
        text = pd.card_text(
            request.id, asked, counts, loan, utcnow(), self.staff_timezone(request),
            self.settings.default_locale,
        )  # fmt: skip
        return text, pd.card_keyboard(request.id, asked.point.kind, loan)

    async def post_card(self, session: AsyncSession, request: HelpRequest) -> None:
        """After the request's own card: the point's card, which its buttons keep current."""
        if request.resource is None or request.staff_chat_id is None:
            return
        try:
            text, markup = await self.card(session, request)
        except pts.NotAPointRequest:
            return
        message = await self.bot.send_message(
            request.staff_chat_id, text, message_thread_id=request.topic_thread_id,
            reply_markup=markup, reply_parameters=relay.under_card(request),
        )  # fmt: skip
        request.resource = {**request.resource, "card": message.message_id}
        await session.commit()  # its buttons work at once (see QueueWork.route)

    async def refresh_card(self, session: AsyncSession, request: HelpRequest) -> None:
        card_id = (request.resource or {}).get("card")
        if request.staff_chat_id is None or not isinstance(card_id, int):
            return
        text, markup = await self.card(session, request)
        try:
            await self.bot.edit_message_text(
                text, chat_id=request.staff_chat_id, message_id=card_id, reply_markup=markup
            )
        except TelegramBadRequest as exc:
            logger.info("point card not changed: %s", exc.message)

    async def tell_family(
        self,
        session: AsyncSession,
        request: HelpRequest | None,
        words: Callable[[Person, str, str], str],
        markup: Callable[[Person, str], InlineKeyboardMarkup | None] | None = None,
        person_id: int | None = None,
    ) -> None:
        """A step of their loan or stay, in the family's language and time zone."""
        family = await cases.family_of(session, request) if request is not None else None
        if family is None and person_id is not None:
            family = await people.by_id(session, person_id)
        if family is None or not people.reachable(family):
            return
        locale = family.locale or self.settings.default_locale
        tz = family.timezone or self.settings.timezone
        with self.i18n.use_locale(locale):
            text = unprompted(family, words(family, tz, locale))
            keyboard = markup(family, locale) if markup is not None else None
        await relay.send_to_family(self.bot, session, family, text, keyboard)

    # -------------------------------------------------------------- due work

    def handlers(self) -> dict[WorkKind, Handler]:
        return {
            WorkKind.RESERVATION_END: self._in_context(self.hold_ended),
            WorkKind.LOAN_REMIND: self._in_context(self.remind),
            WorkKind.STAY_ENDING: self._in_context(self.stay_ending),
        }

    def _in_context(self, handler: Handler) -> Handler:
        async def wrapped(session: AsyncSession, item: DueWork) -> None:
            with self.i18n.context(), self.i18n.use_locale(self.settings.default_locale):
                await handler(session, item)

        return wrapped

    async def _loan(
        self, session: AsyncSession, item: DueWork
    ) -> tuple[Loan, HelpRequest | None, Asked | None] | None:
        loan = await pts.get_loan(session, item.target_id)
        if loan is None:
            return None
        request = await RequestsRepo(session).get(loan.request_id) if loan.request_id else None
        try:
            asked = pts.asked(self.points, request) if request is not None else None
        except pts.NotAPointRequest:
            asked = None
        return loan, request, asked

    async def hold_ended(self, session: AsyncSession, item: DueWork) -> None:
        """48 hours passed without a hand-over: the item is free again — once, however many
        times this runs (the loan moves on only from "reserved")."""
        found = await self._loan(session, item)
        if found is None:
            return
        loan, request, asked = found
        if not await pts.release(session, loan, None):
            return
        if request is None or asked is None:
            return
        await self.tell_family(
            session, request, lambda _p, _tz, locale: pd.family_released_text(asked, locale)
        )
        await relay.note_in_case(self.bot, request, pd.hold_ended_note(request.id))
        await self.refresh_card(session, request)

    async def remind(self, session: AsyncSession, item: DueWork) -> None:
        found = await self._loan(session, item)
        if found is None:
            return
        loan, request, _asked = found
        point, thing = self.points.get(loan.point_key), self.points.thing(loan.item_key)
        if loan.status is not LoanStatus.ACTIVE or loan.due_at is None or None in (point, thing):
            return
        assert point is not None and thing is not None
        step, due = str(item.payload.get("step")), loan.due_at
        await self.tell_family(
            session, request,
            lambda _p, tz, locale: pd.reminder_text(step, thing, point, due, tz, locale),
            lambda _p, _locale: pd.reminder_keyboard(loan.id),
            person_id=loan.person_id,
        )  # fmt: skip

    async def stay_ending(self, session: AsyncSession, item: DueWork) -> None:
        found = await self._loan(session, item)
        if found is None:
            return
        loan, request, _asked = found
        if loan.status is not LoanStatus.ACTIVE or loan.due_at is None or request is None:
            return
        due = pd.day_text(loan.due_at, self.staff_timezone(request), self.settings.default_locale)
        note = pd.stay_ending_note(request.id, due)
        await relay.note_in_case(self.bot, request, note)
        holder = await cases.holder_of(session, request)
        if holder is not None and people.reachable(holder):
            try:
                await self.bot.send_message(holder.telegram_id, note)
            except (TelegramBadRequest, TelegramForbiddenError) as exc:
                logger.info("could not tell the specialist: %s", type(exc).__name__)
