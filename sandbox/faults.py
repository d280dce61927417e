"""Fault injection, the optional rate-limit model and the call log."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sandbox.state import ApiError

__all__ = ["CallLog", "CallRecord", "Fault", "FaultInjector", "RateLimiter"]

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected error",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Fault:
    method: str | None  # lower-case method name, None = any method
    status: int
    description: str
    retry_after: int | None
    times: int | None  # None = forever
    chat_id: int | str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "status": self.status,
            "description": self.description,
            "retry_after": self.retry_after,
            "times": self.times,
            "chat_id": self.chat_id,
        }


class FaultInjector:
    """Errors and latency the tests ask for; consulted before every call is executed."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._latency: dict[str | None, float] = {}

    def inject(
        self,
        method: str | None,
        status: int = 500,
        *,
        retry_after: int | None = None,
        times: int | None = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> Fault:
        """Make the next ``times`` calls of ``method`` (optionally only to ``chat_id``) fail."""
        if status == 429:
            retry_after = retry_after if retry_after is not None else 1
            description = description or f"Too Many Requests: retry after {retry_after}"
        desc = description or _DEFAULT_DESCRIPTIONS.get(status, "Bad Request: injected error")
        fault = Fault(method.lower() if method else None, status, desc, retry_after, times, chat_id)
        self._faults.append(fault)
        return fault

    def latency(self, seconds: float, method: str | None = None) -> None:
        """Add ``seconds`` before answering ``method`` (None = every method)."""
        key = method.lower() if method else None
        if seconds <= 0:
            self._latency.pop(key, None)
        else:
            self._latency[key] = seconds

    def clear(self) -> None:
        self._faults.clear()
        self._latency.clear()

    @property
    def active(self) -> list[Fault]:
        return list(self._faults)

    def delay_for(self, method: str) -> float:
        if not self._latency:
            return 0.0
        return self._latency.get(method.lower(), 0.0) + self._latency.get(None, 0.0)

    def take(self, method: str, params: dict[str, Any]) -> ApiError | None:
        """The injected error for this call, if any (consumes one of its ``times``)."""
        if not self._faults:
            return None
        low = method.lower()
        for fault in self._faults:
            if fault.method is not None and fault.method != low:
                continue
            if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            return ApiError(fault.status, fault.description, fault.retry_after, injected=True)
        return None


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per second
    tokens: float
    stamp: float

    def take(self, t: float) -> float:
        """Take one token; 0 if allowed, else the seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (t - self.stamp) * self.rate)
        self.stamp = t
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """Telegram's published limits as token buckets (off unless enabled).

    ~1 message/s per private chat with a small burst, 20 messages/min per group,
    ~30 messages/s per bot overall. Past them: 429 with a computed ``retry_after``.
    """

    enabled: bool = False
    private_per_sec: float = 1.0
    private_burst: float = 3.0
    group_per_min: float = 20.0
    global_per_sec: float = 30.0
    _buckets: dict[tuple[int, int | str], _Bucket] = field(default_factory=dict)

    def _bucket(
        self, key: tuple[int, int | str], capacity: float, rate: float, t: float
    ) -> _Bucket:
        b = self._buckets.get(key)
        if b is None:
            b = _Bucket(capacity, rate, capacity, t)
            self._buckets[key] = b
        return b

    def check(self, bot_id: int, chat_id: int, is_group: bool) -> None:
        if not self.enabled:
            return
        t = time.monotonic()
        waits = [self._bucket((bot_id, "*"), self.global_per_sec, self.global_per_sec, t).take(t)]
        if is_group:
            waits.append(
                self._bucket(
                    (bot_id, chat_id), self.group_per_min, self.group_per_min / 60.0, t
                ).take(t)
            )
        else:
            waits.append(
                self._bucket((bot_id, chat_id), self.private_burst, self.private_per_sec, t).take(t)
            )
        wait = max(waits)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)

    def reset(self) -> None:
        self._buckets.clear()


@dataclass
class CallRecord:
    time: float
    bot_id: int | None
    method: str
    params: dict[str, Any]
    status: int
    result: Any = None
    error: str | None = None
    injected: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "bot_id": self.bot_id,
            "method": self.method,
            "params": _plain(self.params),
            "status": self.status,
            "result": self.result,
            "error": self.error,
            "injected": self.injected,
        }


def _plain(value: Any) -> Any:
    """JSON-ready parameters: uploads (also inside InputMedia lists) become "<file>"."""
    if type(value).__name__ == "Upload":
        return "<file>"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# Rejections that mean the bot made an invalid call (not: blocked user, injected fault,
# rate limit, a poller superseded by another one).
VIOLATION_STATUSES = {400, 401, 404}


class CallLog:
    """Bounded log of every call plus the list of violations (rejected invalid calls)."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self.records: deque[CallRecord] = deque(maxlen=maxlen)
        self.violations: deque[CallRecord] = deque(maxlen=maxlen)

    def add(self, rec: CallRecord) -> None:
        self.records.append(rec)
        if rec.status in VIOLATION_STATUSES and not rec.injected:
            self.violations.append(rec)

    def query(self, method: str | None = None, bot_id: int | None = None) -> list[CallRecord]:
        low = method.lower() if method else None
        return [
            r
            for r in self.records
            if (low is None or r.method.lower() == low) and (bot_id is None or r.bot_id == bot_id)
        ]

    def clear(self) -> None:
        self.records.clear()
        self.violations.clear()
