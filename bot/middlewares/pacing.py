"""Outgoing messages paced under Telegram's limits, so the bot itself causes no 429.

Telegram allows about one message a second to a private chat (with a short burst), twenty a
minute to a group and about thirty a second overall. Each chat (and the bot as a whole) has a
schedule (GCRA, the virtual-clock form of a token bucket): a send books the next free slot
and waits for it. A wait holds only the chat it concerns; the update's database session was
committed before (CommitBeforeSend runs first), so nobody else waits with it. A 429 that
arrives anyway pushes that chat's schedule back by its `retry_after`. Several processes of one
bot share the schedules in Redis when REDIS_URL is set (bot/shared_pacing.py).

The update runner books the first send of an update *before* handling it (`admit`): the
wait for Telegram's overall limit then happens before anything is committed, so the moment
between the commit that marks an update handled and the reply reaching Telegram stays a
matter of microseconds, and a crash in a busy minute does not swallow replies that were
waiting for their slot.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

# A few per cent under Telegram's figures: the server measures when a request arrives, which
# jitters by some milliseconds around when we sent it.
PRIVATE = (1.1, 3)  # seconds between messages, burst
GROUP = (3.2, 19)
_FORGET_AFTER = 120.0  # schedules idle this long are dropped (memory stays bounded)

Entry = tuple[str, float, float]  # a schedule's name, interval, tolerance

# The chat whose slot `admit` booked for the update being handled, until its first send.
_reserved: ContextVar[int | str | None] = ContextVar("reserved_send", default=None)


def is_message_send(method: str) -> bool:
    """Methods that put a new message into a chat (what Telegram's limits count)."""
    return (method.startswith("send") and method != "sendChatAction") or method in (
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    )


@dataclass(slots=True)
class Schedule:
    interval: float
    tolerance: float  # (burst - 1) * interval
    tat: float = 0.0  # theoretical arrival time of the next send

    def free(self, now: float) -> bool:
        return self.tat - self.tolerance <= now

    def book(self, now: float) -> float:
        """Book the next slot; the moment it may go."""
        start = max(self.tat, now)
        self.tat = start + self.interval
        return max(now, start - self.tolerance)

    def hold(self, until: float) -> None:
        self.tat = max(self.tat, until + self.tolerance)


class Shared(Protocol):
    """Schedules shared by the bot's processes (bot/shared_pacing.py)."""

    async def book(self, entries: list[Entry], *, admit: bool = False) -> float | None: ...

    async def hold(self, entries: list[Entry], seconds: float) -> bool: ...

    async def close(self) -> None: ...


class Pacer:
    def __init__(
        self,
        global_rate: float = 28.0,
        clock: Callable[[], float] = time.monotonic,
        shared: Shared | None = None,
    ) -> None:
        self.clock = clock
        self.shared = shared
        # The overall burst is one second's worth of sends; 0 turns overall pacing off.
        self.overall = (
            Schedule(1 / global_rate, (math.ceil(global_rate) - 1) / global_rate)
            if global_rate
            else None
        )
        self.chats: dict[int | str, Schedule] = {}
        self._swept = clock()

    @staticmethod
    def _limits(chat_id: int | str) -> tuple[float, float]:
        """A chat's interval and tolerance."""
        group = isinstance(chat_id, str) or chat_id < 0
        interval, burst = GROUP if group else PRIVATE
        return interval, interval * (burst - 1)

    def _schedule(self, chat_id: int | str) -> Schedule:
        schedule = self.chats.get(chat_id)
        if schedule is None:
            schedule = self.chats[chat_id] = Schedule(*self._limits(chat_id))
        return schedule

    def _sweep(self, now: float) -> None:
        if now - self._swept < _FORGET_AFTER:
            return
        self._swept = now
        stale = [k for k, s in self.chats.items() if s.tat < now - _FORGET_AFTER]
        for key in stale:
            del self.chats[key]

    def _delay_here(self, chat_id: int | str) -> float:
        now = self.clock()
        self._sweep(now)
        at = self._schedule(chat_id).book(now)
        if self.overall is not None:
            at = max(at, self.overall.book(now))
        return at - now

    def _entries(self, chat_id: int | str) -> list[Entry]:
        entries = [(f"c:{chat_id}", *self._limits(chat_id))]
        if self.overall is not None:
            entries.append(("all", self.overall.interval, self.overall.tolerance))
        return entries

    async def delay(self, chat_id: int | str) -> float:
        """Book a send to `chat_id`; how long to wait before it goes."""
        if self.shared is not None:
            wait = await self.shared.book(self._entries(chat_id))
            if wait is not None:
                return wait
        return self._delay_here(chat_id)

    async def hold(self, chat_id: int | str, seconds: float) -> None:
        if self.shared is None or not await self.shared.hold(self._entries(chat_id)[:1], seconds):
            self._schedule(chat_id).hold(self.clock() + seconds)

    async def admit(self, chat_id: int | str) -> float:
        """Before an update of `chat_id` is handled: if the chat may be written to now, book
        its first reply (the caller waits the returned delay, then handles the update in a
        context where `use_reservation` finds the booking). A chat that is already being
        answered as fast as Telegram allows books nothing: its messages are handled at once
        and only a reply, if any, waits."""
        if self.shared is not None:
            wait = await self.shared.book(self._entries(chat_id), admit=True)
            if wait is not None:
                if wait < 0:
                    return 0.0
                _reserved.set(chat_id)
                return wait
        if not self._schedule(chat_id).free(self.clock()):
            return 0.0
        _reserved.set(chat_id)
        return self._delay_here(chat_id)

    async def turn(self, name: str, interval: float) -> float | None:
        """A slot of a schedule of the caller's own (a broadcast's rate) shared by every
        process; None when this process paces alone (no Redis, or it is down)."""
        if self.shared is None:
            return None
        return await self.shared.book([(name, interval, 0.0)])

    @staticmethod
    def release() -> None:
        """The update is done: an unused booking lapses (it is not carried to the next)."""
        _reserved.set(None)

    @staticmethod
    def use_reservation(chat_id: int | str) -> bool:
        if _reserved.get() != chat_id:
            return False
        _reserved.set(None)
        return True


class PaceSends(BaseRequestMiddleware):
    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id: Any = getattr(method, "chat_id", None)
        if chat_id is None or not is_message_send(method.__api_method__):
            return await make_request(bot, method)
        wait = 0.0 if self.pacer.use_reservation(chat_id) else await self.pacer.delay(chat_id)
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            await self.pacer.hold(chat_id, exc.retry_after)
            raise


def pacer_of(bot: Bot) -> Pacer | None:
    for middleware in bot.session.middleware:
        if isinstance(middleware, PaceSends):
            return middleware.pacer
    return None
