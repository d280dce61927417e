"""Durable intake and fair handling of updates, for polling and webhooks alike.

Every update is written to the database (`update_inbox`) before Telegram learns that it
arrived: in polling mode before the next getUpdates confirms its offset, in webhook mode
before the 200. It is then handled from memory, and on the next start from the table if the
bot died first. The handler's own transaction marks it done (bot/middlewares/db.py), so an
update is handled once.

Handling is fair: the updates of one chat (one forum topic in a group) are handled in order
and one at a time, chats take turns for the workers, so a person who sends hundreds of
messages holds one worker at most and everyone else is answered meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy.exc import SQLAlchemyError

from bot.middlewares.pacing import pacer_of
from db.base import utcnow
from db.repositories import InboxRepo
from db.session import Database

logger = logging.getLogger(__name__)

# How long to wait between tries while the Bot API is unreachable, at start and in polling.
API_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=30.0, factor=1.6, jitter=0.1)
# A database that refuses a batch (disk full, locked by a backup) is retried this often.
STORE_BACKOFF = BackoffConfig(min_delay=0.5, max_delay=10.0, factor=2.0, jitter=0.1)
# Stored-but-unhandled updates held in memory; past it polling waits (Telegram keeps them).
BACKLOG_LIMIT = 10_000
# An update stored this long ago and still not handled is taken over (see `_adopt`).
ADOPT_AFTER = 120.0
ADOPT_BATCH = 500


class FatalStartupError(Exception):
    """Start-up cannot succeed by waiting (a wrong token); the message is one line for people."""


def _chat_and_message(update: Update) -> tuple[Any, Any]:
    try:
        event: Any = update.event
    except UpdateTypeLookupError:  # a type newer than this aiogram knows
        return None, None
    message = getattr(event, "message", None) if update.callback_query else event
    return event, message


def _route(update: Update) -> tuple[str, int | None]:
    """(the ordering key, the chat a reply would go to): a private chat, a group's forum
    topic, or, without a chat, the user or the update itself."""
    event, message = _chat_and_message(update)
    chat = getattr(message, "chat", None)
    if chat is None:
        user = getattr(event, "from_user", None)
        return (f"u{user.id}" if user is not None else f"x{update.update_id}"), None
    thread = getattr(message, "message_thread_id", None) if chat.type == "supergroup" else None
    return (f"c{chat.id}:{thread}" if thread else f"c{chat.id}"), chat.id


def chat_key(update: Update) -> str:
    return _route(update)[0]


@dataclass(slots=True, eq=False)
class Item:
    update: Update
    chat: str
    chat_id: int | None = None  # where a reply goes, for pacing
    # Its handler's transaction has committed the update as handled: the intake need not
    # write it (bot/middlewares/db.py sets it).
    stored: bool = False
    # Taken over after it waited unhandled: a failure now is not apologised for again.
    retry: bool = False

    @classmethod
    def of(cls, update: Update) -> Item:
        key, chat_id = _route(update)
        return cls(update, key, chat_id)

    def settled(self, committed: bool) -> None:
        if committed:
            self.stored = True


class FairQueue:
    """Updates grouped by chat; a chat is `ready` when it has updates and no worker."""

    def __init__(self) -> None:
        self._chats: dict[str, deque[Item]] = {}
        self._busy: set[str] = set()
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self.size = 0
        self._space = asyncio.Event()
        self._space.set()

    def put(self, item: Item) -> None:
        queue = self._chats.get(item.chat)
        if queue is None:
            queue = self._chats[item.chat] = deque()
            if item.chat not in self._busy:
                self._ready.put_nowait(item.chat)
        queue.append(item)
        self.size += 1
        if self.size >= BACKLOG_LIMIT:
            self._space.clear()

    async def get(self) -> Item:
        chat = await self._ready.get()
        queue = self._chats[chat]
        item = queue.popleft()
        if not queue:
            del self._chats[chat]
        self._busy.add(chat)
        self.size -= 1
        if self.size < BACKLOG_LIMIT:
            self._space.set()
        return item

    def done(self, item: Item) -> None:
        """The chat's next update may go now, after the other chats that wait."""
        self._busy.discard(item.chat)
        if item.chat in self._chats:
            self._ready.put_nowait(item.chat)

    def backlog(self, chat: str) -> int:
        """Updates of this chat still waiting behind the one being handled."""
        queue = self._chats.get(chat)
        return len(queue) if queue else 0

    @property
    def full(self) -> bool:
        return self.size >= BACKLOG_LIMIT

    async def wait_for_space(self) -> None:
        await self._space.wait()


async def call_until_up(call: Callable[[], Any], what: str) -> Any:
    """Call the Bot API until it answers: an outage is waited out, a wrong token is fatal."""
    backoff = Backoff(API_BACKOFF)
    while True:
        try:
            return await call()
        except TelegramUnauthorizedError:
            raise FatalStartupError(
                "the Bot API rejected BOT_TOKEN (401 Unauthorized): check the token"
            ) from None
        except (TelegramServerError, TelegramNetworkError, TelegramRetryAfter) as exc:
            delay = next(backoff)
            logger.warning(
                "Bot API unavailable for %s (%s), attempt %d; retrying in %.1f s",
                what,
                type(exc).__name__,
                backoff.counter,
                delay,
            )
            await asyncio.sleep(delay)


class UpdateRunner:
    """Stores, queues and handles the updates of one bot with `workers` at once."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        db: Database,
        *,
        workers: int,
        grace: float = 3.0,
        adopt_after: float = ADOPT_AFTER,
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.db = db
        self.workers = workers
        self.grace = grace
        self.adopt_after = adopt_after
        self.queue = FairQueue()
        self.pacer = pacer_of(bot)
        self._known: set[int] = set()  # update ids queued or in flight here
        self._in_flight: set[Item] = set()
        self._drained = asyncio.Event()  # nothing queued, nothing in flight
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self.last_received: datetime | None = None  # for /healthz and /metrics

    # -- intake ------------------------------------------------------------------------

    async def accept(self, updates: Iterable[Update]) -> None:
        """Queue the updates and make them durable; returns once they are stored (the caller
        may then confirm them to Telegram), raises if the database refuses.

        Workers may start on them meanwhile: a worker that gets to the database first
        records its update as handled in its own transaction, and the batch then skips it.
        Either way nothing is confirmed to Telegram before it is in the table, and the
        batch's write no longer sits between a person and the reply.
        """
        items = self._enqueue(updates)
        await self._write(items)

    def _enqueue(self, updates: Iterable[Update]) -> list[Item]:
        items = [Item.of(u) for u in updates]
        if items:
            self.last_received = utcnow()
        for item in items:
            self._put(item)
        return items

    def _put(self, item: Item) -> None:
        self._known.add(item.update.update_id)
        self.queue.put(item)

    async def _write(self, items: list[Item]) -> None:
        if not items:
            return
        # Idle workers take their update (and the database) first; one that has committed
        # its update as handled by now (as it usually has when updates come one by one)
        # spares the intake a transaction.
        await asyncio.sleep(0)
        rows = [
            (i.update.update_id, i.chat, i.update.model_dump_json(exclude_unset=True))
            for i in items
            if not i.stored
        ]
        if not rows:
            return
        async with self.db.session() as session, session.begin():
            await InboxRepo(session).store(self.bot.id, rows)

    async def restore(self) -> int:
        """Queue what a previous run stored but did not handle; first in, first handled."""
        async with self.db.session() as session:
            rows = await InboxRepo(session).pending(self.bot.id)
        self._queue_stored(rows, retry=False)
        if rows:
            logger.info("resuming %d updates stored before the last stop", len(rows))
        return len(rows)

    def _queue_stored(self, rows: list[tuple[int, str]], *, retry: bool) -> int:
        taken = 0
        for update_id, payload in rows:
            if update_id not in self._known:
                item = Item.of(Update.model_validate_json(payload, context={"bot": self.bot}))
                item.retry = retry
                self._put(item)
                taken += 1
        return taken

    async def _adopt(self) -> None:
        """Handle what another instance stored and then did not handle (killed, or stopped
        for good) once it has waited `adopt_after` seconds: behind one webhook, Telegram
        never sends those again. Each is claimed like any update, so it is handled once;
        only its order against its chat's newer messages may differ. An update that failed
        before its claim (Redis or the database unreachable) is left waiting, so it comes
        back here too, until it goes through: the person was told once, not again."""
        period = min(max(self.adopt_after / 4, 0.5), 30.0)
        while True:
            await asyncio.sleep(period)
            if self.queue.full:
                continue
            try:
                async with self.db.session() as session:
                    rows = await InboxRepo(session).pending(
                        self.bot.id,
                        received_before=utcnow() - timedelta(seconds=self.adopt_after),
                        limit=ADOPT_BATCH,
                    )
            except (SQLAlchemyError, OSError) as exc:
                logger.warning("could not look for waiting updates: %s", type(exc).__name__)
                continue
            if taken := self._queue_stored(rows, retry=True):
                logger.warning("taking over %d updates that waited over %.0f s unhandled",
                               taken, self.adopt_after)  # fmt: skip

    # -- handling ----------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            item = await self.queue.get()
            self._in_flight.add(item)
            try:
                if self.pacer is not None and item.chat_id is not None:
                    wait = await self.pacer.admit(item.chat_id)
                    if wait > 0:
                        await asyncio.sleep(wait)
                await self.dp.feed_update(
                    self.bot,
                    item.update,
                    chat_backlog=self.queue.backlog(item.chat),
                    inbox_chat=item.chat,
                    inbox_settled=item.settled,
                    inbox_retry=item.retry,
                )
            except Exception as exc:  # the dispatcher's error handler already ran
                logger.error("update %s: %s escaped the handlers", item.update.update_id,
                             type(exc).__name__)  # fmt: skip
            finally:
                if self.pacer is not None:
                    self.pacer.release()
                self._known.discard(item.update.update_id)
                self._in_flight.discard(item)
                self.queue.done(item)
                if not self._in_flight and not self.queue.size:
                    self._drained.set()

    def start_workers(self) -> None:
        self._tasks += [asyncio.create_task(self._worker()) for _ in range(self.workers)]
        self._tasks.append(asyncio.create_task(self._adopt()))

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def stop_workers(self) -> None:
        """Handle what was already received, for up to the grace period; what is left then
        stays in the database for the next start."""
        if self.in_flight or self.queue.size:
            self._drained.clear()
            try:
                await asyncio.wait_for(self._drained.wait(), self.grace)
            except TimeoutError:
                logger.warning(
                    "shutdown: %d updates running were cut off, %d wait for the next start",
                    self.in_flight,
                    self.queue.size,
                )
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    # -- start, polling and stop ---------------------------------------------------------

    async def prepare(self) -> None:
        """Wait for the Bot API, run the start-up hooks, queue what was left last time."""
        me = await call_until_up(self.bot.me, "getMe")
        logger.info("bot id=%s is up", me.id)
        await self.dp.emit_startup(bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data)
        await self.restore()

    async def _fetch(self, method: GetUpdates, request_timeout: int) -> list[Update] | None:
        """One long poll, or None once a stop is asked for (the poll is then abandoned)."""
        fetch = asyncio.ensure_future(self.bot(method, request_timeout=request_timeout))
        stopper = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({fetch, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not fetch.done():
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramAPIError):
                await fetch
            return None
        return fetch.result()

    async def _store(self, updates: list[Update]) -> None:
        """Queue the batch, then write it until it is durable: the offset waits for that."""
        items = self._enqueue(updates)
        backoff = Backoff(STORE_BACKOFF)
        while True:
            try:
                await self._write(items)
                return
            except (SQLAlchemyError, OSError) as exc:
                delay = next(backoff)
                logger.error(
                    "could not store %d updates (%s); retrying in %.1f s",
                    len(items),
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _poll(self, timeout: int) -> None:
        """Fetch, store, confirm — until a stop is asked for. A stop never interrupts storing."""
        method = GetUpdates(timeout=timeout, allowed_updates=self.dp.resolve_used_update_types())
        request_timeout = int((self.bot.session.timeout or 60) + timeout)
        backoff = Backoff(API_BACKOFF)
        while not self._stop.is_set():
            if self.queue.full:
                await self.queue.wait_for_space()
            try:
                updates = await self._fetch(method, request_timeout)
            except TelegramUnauthorizedError:
                raise FatalStartupError(
                    "the Bot API rejected BOT_TOKEN (401 Unauthorized): check the token"
                ) from None
            except TelegramRetryAfter as exc:
                await asyncio.sleep(exc.retry_after)
                continue
            except TelegramAPIError as exc:
                delay = next(backoff)
                logger.warning(
                    "getUpdates failed (%s); retrying in %.1f s", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                continue
            if updates is None:
                return
            backoff.reset()
            if updates:
                await self._store(updates)
                # Telegram forgets what is below the offset only with the next getUpdates.
                method.offset = updates[-1].update_id + 1

    async def run_polling(self, *, polling_timeout: int = 30, handle_signals: bool = True) -> None:
        self._stop.clear()
        if handle_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._stop.set)
        try:
            prepare = asyncio.ensure_future(self.prepare())
            stopper = asyncio.ensure_future(self._stop.wait())
            await asyncio.wait({prepare, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if not prepare.done():  # stopped while waiting for the Bot API
                prepare.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await prepare
                return
            prepare.result()
            await call_until_up(
                lambda: self.bot.delete_webhook(drop_pending_updates=False),
                "deleteWebhook",
            )
            self.start_workers()
            logger.info("polling for updates")
            try:
                await self._poll(polling_timeout)
            finally:
                await self.stop_workers()
                await self.dp.emit_shutdown(
                    bot=self.bot, dispatcher=self.dp, **self.dp.workflow_data
                )
                logger.info("polling stopped")
        finally:
            await self.bot.session.close()

    def stop(self) -> None:
        """Ask a running `run_polling` to stop (what SIGTERM does)."""
        self._stop.set()
