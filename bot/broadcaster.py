"""Sending a broadcast: paced under BROADCAST_RATE (and Telegram's per-chat limit, through the
Bot's own pacing), a few sends in flight at once so families' conversations stay
responsive, a 429 pausing all of it for its retry_after, 5xx and timeouts retried a few
times. Each delivery is claimed before its send and recorded after it; what was in flight
when the bot died is reported as unknown on the next start, never sent twice or guessed."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings, instance_owner
from bot.dialogs import broadcast as bd
from bot.dialogs.onboarding import unprompted
from bot.middlewares.pacing import pacer_of
from bot.middlewares.retry import own_backoff
from bot.services import broadcasts
from db.base import utcnow
from db.models import Broadcast, BroadcastStatus, DeliveryStatus, Person
from db.repositories import BroadcastsRepo, PeopleRepo
from db.session import Database

logger = logging.getLogger(__name__)

# Sends in flight at once: at Telegram's free pace a few are enough and families' replies
# never queue behind more; with pacing lifted (paid broadcasts) more keep the pipe full.
# Deliveries are claimed no more at a time, so a crash leaves at most that many "unknown".
SLOTS, FAST_SLOTS = 4, 64
TRIES = 3  # for 5xx and timeouts
PROGRESS_EVERY = 3.0  # seconds between edits of the coordinator's progress message


@dataclass(frozen=True)
class Recipient:
    delivery_id: int
    chat_id: int
    locale: str | None


class Broadcaster:
    def __init__(self, bot: Bot, db: Database, i18n: I18n, settings: Settings) -> None:
        self.bot = bot
        self.db = db
        self.i18n = i18n
        self.settings = settings
        self.interval = 1 / settings.broadcast_rate if settings.broadcast_rate else 0.0
        fast = not settings.broadcast_rate or settings.broadcast_rate > 30
        self.slots = FAST_SLOTS if fast else SLOTS
        self.owner = instance_owner(settings)
        self._next = 0.0  # the earliest moment of the next send
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._progress_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    def nudge(self) -> None:
        """A broadcast was just committed: start sending now, in a task of its own (never in
        the coordinator's update, whose unit of work is still open)."""
        task = asyncio.get_running_loop().create_task(self.tick(), context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def kick(self) -> None:
        """The scheduler's job: start a tick unless one is running, and return at once (a
        tick may send for minutes; the job must not look stuck)."""
        if not self._lock.locked():
            self.nudge()

    async def drain(self, timeout: float) -> None:
        """A graceful stop: no new batch; the one in flight is finished and recorded (so
        nothing of it becomes "unknown"), for at most `timeout` seconds."""
        self._stopping = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout), self._lock:
                pass

    async def recover(self) -> int:
        async with self.db.session() as session, session.begin():
            instance = self.owner.rsplit(":", 1)[0]
            return await BroadcastsRepo(session).unknown_after_crash(instance, self.owner)

    async def tick(self) -> None:
        """Start what is due and send what is pending (APScheduler, every second)."""
        if self._lock.locked():
            return
        async with self._lock:
            async with self.db.session() as session, session.begin():
                active = await BroadcastsRepo(session).active(utcnow())
                for broadcast in active:
                    if broadcast.status is BroadcastStatus.SCHEDULED:
                        broadcast.status, broadcast.started_at = BroadcastStatus.SENDING, utcnow()
            for broadcast in active:
                await self._run(broadcast.id)

    async def _run(self, broadcast_id: int) -> None:
        while not self._stopping:
            async with self.db.session() as session, session.begin():
                repo = BroadcastsRepo(session)
                broadcast = await repo.get(broadcast_id)
                if broadcast is None or broadcast.status is not BroadcastStatus.SENDING:
                    return
                rows = await repo.claim(broadcast_id, self.owner, self.slots)
                people = await self._discreet([r[1] for r in rows], session)
            if not rows:
                await self._finish(broadcast_id)
                return
            recipients = [Recipient(*row) for row in rows]
            slots = asyncio.Semaphore(self.slots)
            results = await asyncio.gather(
                *(self._deliver(slots, broadcast, r, people.get(r.chat_id)) for r in recipients)
            )
            await self._record(recipients, results)
            await self._show_progress(broadcast_id)

    async def _discreet(self, chat_ids: list[int], session: AsyncSession) -> dict[int, Person]:
        """The recipients, for discreet mode's neutral first line."""
        return await PeopleRepo(session).by_telegram_ids(chat_ids) if chat_ids else {}

    async def _turn(self) -> None:
        """Wait for this send's slot under the broadcast rate (shared by every process of the
        bot when they share Redis), and out of any 429 pause."""
        now = time.monotonic()
        pacer = pacer_of(self.bot)
        shared = await pacer.turn("broadcast", self.interval) if pacer and self.interval else None
        if shared is not None:
            at = max(now + shared, self._paused_until)
        else:
            at = max(now, self._next, self._paused_until)
            self._next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)

    async def _deliver(
        self,
        slots: asyncio.Semaphore,
        broadcast: Broadcast,
        recipient: Recipient,
        person: Person | None,
    ) -> DeliveryStatus:
        async with slots:
            tries = 0
            while True:
                await self._turn()
                try:
                    await self._send(broadcast, recipient, person)
                    return DeliveryStatus.SENT
                except TelegramRetryAfter as exc:  # everyone waits, then this one again
                    self._paused_until = time.monotonic() + exc.retry_after
                    logger.warning("broadcast: flood control, pausing %ss", exc.retry_after)
                except TelegramForbiddenError:
                    return DeliveryStatus.BLOCKED
                except TelegramBadRequest as exc:
                    logger.info("broadcast: a message refused: %s", exc.message)
                    return DeliveryStatus.FAILED
                except (TelegramServerError, TelegramNetworkError) as exc:
                    tries += 1
                    if tries >= TRIES:
                        logger.warning("broadcast: gave up a send: %s", type(exc).__name__)
                        return DeliveryStatus.FAILED
                    await asyncio.sleep(0.5 * 2**tries)
                except TelegramAPIError as exc:
                    logger.warning("broadcast: a send failed: %s", type(exc).__name__)
                    return DeliveryStatus.FAILED

    async def _send(
        self, broadcast: Broadcast, recipient: Recipient, person: Person | None
    ) -> None:
        english = recipient.locale == "en" and broadcast.text_en
        text = broadcast.text_en if english and broadcast.text_en else broadcast.text
        with self.i18n.context(), self.i18n.use_locale("en" if english else "ru"):
            markup: InlineKeyboardMarkup = bd.delivered_keyboard(broadcast)
            if person is not None:
                text = unprompted(person, text)
        token = own_backoff.set(True)
        try:
            if broadcast.media_kind == "photo" and broadcast.media_file_id:
                await self.bot.send_photo(
                    recipient.chat_id, broadcast.media_file_id, caption=text, reply_markup=markup
                )
            elif broadcast.media_kind == "document" and broadcast.media_file_id:
                await self.bot.send_document(
                    recipient.chat_id, broadcast.media_file_id, caption=text, reply_markup=markup
                )
            else:
                await self.bot.send_message(recipient.chat_id, text, reply_markup=markup)
        finally:
            own_backoff.reset(token)

    async def _record(self, recipients: list[Recipient], results: list[DeliveryStatus]) -> None:
        async with self.db.session() as session, session.begin():
            repo = BroadcastsRepo(session)
            for status in set(results):
                ids = [
                    r.delivery_id for r, s in zip(recipients, results, strict=True) if s is status
                ]
                extra = {"sent_at": utcnow()} if status is DeliveryStatus.SENT else {}
                await repo.settle(ids, status, **extra)
            blocked = [
                r.chat_id for r, s in zip(recipients, results, strict=True)
                if s is DeliveryStatus.BLOCKED
            ]  # fmt: skip
            if blocked:
                await PeopleRepo(session).mark_unreachable(blocked)

    async def _show_progress(self, broadcast_id: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._progress_at < PROGRESS_EVERY:
            return
        self._progress_at = now
        async with self.db.session() as session, session.begin():
            repo = BroadcastsRepo(session)
            broadcast = await repo.get(broadcast_id)
            if broadcast is None or broadcast.progress_chat_id is None:
                return
            figures = await broadcasts.progress(session, broadcast)
            done = figures.sent + figures.failed + figures.blocked + figures.unknown
            # Several processes send one broadcast: the one that moves the count shows it.
            if not final and not await repo.advance_shown(broadcast_id, done):
                return
            author = await PeopleRepo(session).get(broadcast.author_id or 0)
        locale = (author.locale if author else None) or self.settings.default_locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = bd.progress_text(broadcast, figures, self.settings.broadcast_rate, final)
            markup = None if final else bd.progress_keyboard(broadcast.id)
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=broadcast.progress_chat_id,
                message_id=broadcast.progress_message_id,
                reply_markup=markup,
            )
        except TelegramAPIError as exc:
            logger.info("broadcast progress not shown: %s", type(exc).__name__)

    async def _finish(self, broadcast_id: int) -> None:
        async with self.db.session() as session, session.begin():
            repo = BroadcastsRepo(session)
            broadcast = await repo.get(broadcast_id)
            if broadcast is None or broadcast.status is not BroadcastStatus.SENDING:
                return
            figures = await broadcasts.progress(session, broadcast)
            failed = figures.failed + figures.blocked
            if not await repo.finish(broadcast_id, utcnow(), figures.sent, failed):
                return  # another process finished it and shows the report
        await self._show_progress(broadcast_id, final=True)
