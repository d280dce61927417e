"""Send schedules kept in Redis, so that several processes of one bot keep Telegram's limits
together: thirty messages a second per bot and one a second per chat are the bot's, not each
process's, and a family's next reply may come from another process than the last.

The schedules are the same GCRA as bot/middlewares/pacing.py, each a key holding its
theoretical arrival time, booked by one Lua script (atomic, on Redis's own clock, so the
processes' clocks need not agree). A process that cannot reach Redis paces on its own
schedules meanwhile and tries Redis again a little later.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# ARGV: mode, ttl (seconds a schedule is kept after its slot), then per key its interval and
# tolerance ("book", "admit") or, for "hold", the seconds to hold and each key's tolerance.
# "book": book every key's next slot; the wait until all of them allow the send.
# "admit": the same, if the first key (the chat's) is free now; else "-1", nothing booked.
# "hold": push each key back until now + seconds (a 429's retry_after).
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mode, ttl = ARGV[1], tonumber(ARGV[2])
local function keep(key, tat)
  redis.call('SET', key, string.format('%.6f', tat), 'PX', math.ceil((tat - now + ttl) * 1000))
end
if mode == 'hold' then
  local till = now + tonumber(ARGV[3])
  for i, key in ipairs(KEYS) do
    keep(key, math.max(tonumber(redis.call('GET', key) or '0'), till + tonumber(ARGV[3 + i])))
  end
  return '0'
end
if mode == 'admit' and tonumber(redis.call('GET', KEYS[1]) or '0') - tonumber(ARGV[4]) > now then
  return '-1'
end
local at = now
for i, key in ipairs(KEYS) do
  local interval, tolerance = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  local start = math.max(tonumber(redis.call('GET', key) or '0'), now)
  at = math.max(at, start - tolerance)
  keep(key, start + interval)
end
return string.format('%.6f', at - now)
"""

KEEP_SECONDS = 120  # an idle chat's schedule is forgotten after this
RETRY_AFTER = 30.0  # seconds on local schedules after Redis failed
TIMEOUT = 1.0

Entry = tuple[str, float, float]  # schedule name, interval, tolerance


class SharedSchedules:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_SCRIPT)
        self._down_until = 0.0

    @classmethod
    def from_url(cls, url: str, bot_id: int) -> SharedSchedules:
        redis = Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        return cls(redis, f"semya:pace:{bot_id}:")

    @property
    def up(self) -> bool:
        return time.monotonic() >= self._down_until

    async def _run(self, names: list[str], args: list[Any]) -> float | None:
        """The script's answer, or None if Redis failed (the caller paces locally)."""
        if not self.up:
            return None
        try:
            answer = await self._script(keys=[self.prefix + n for n in names], args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = time.monotonic() + RETRY_AFTER
            logger.warning("send pacing: Redis unavailable (%s); pacing this process alone "
                           "for %.0f s", type(exc).__name__, RETRY_AFTER)  # fmt: skip
            return None
        return float(answer)

    async def book(self, entries: list[Entry], *, admit: bool = False) -> float | None:
        """Book each schedule's next slot; the wait until the send may go (with `admit`: -1
        when the first schedule is not free now, and nothing booked); None without Redis."""
        args: list[Any] = ["admit" if admit else "book", KEEP_SECONDS]
        for _, interval, tolerance in entries:
            args += [interval, tolerance]
        return await self._run([name for name, _, _ in entries], args)

    async def hold(self, entries: list[Entry], seconds: float) -> bool:
        args: list[Any] = ["hold", KEEP_SECONDS, seconds, *(t for _, _, t in entries)]
        return await self._run([name for name, _, _ in entries], args) is not None

    async def close(self) -> None:
        await self.redis.aclose()
