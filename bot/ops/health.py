"""/healthz: can this instance do its work — does the database answer, is Redis reachable,
when did the last update arrive.

The HTTP status follows the database alone (200 when `SELECT 1` answers within `timeout`,
503 otherwise): without it nothing can be stored, so a load balancer should stop sending
webhooks here. Redis trouble makes the status "degraded" but keeps 200 — every replica shares
the one Redis, so taking them all out of rotation would help nobody. A quiet night with no
updates is no failure either: the age of the last update is reported, not judged.
"""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from db.base import utcnow
from db.session import Database

if TYPE_CHECKING:
    from bot.runner import UpdateRunner

CHECK_TIMEOUT = 2.0
OK = "ok"
NOT_CONFIGURED = "not configured"


@dataclass(frozen=True, slots=True)
class HealthReport:
    status_code: int
    body: dict[str, Any]


class Health:
    def __init__(
        self,
        db: Database,
        runner: UpdateRunner | None = None,
        *,
        redis_url: str | None = None,
        timeout: float = CHECK_TIMEOUT,
    ) -> None:
        self.db = db
        self.runner = runner
        self.redis_url = redis_url
        self.timeout = timeout

    async def report(self) -> HealthReport:
        database, redis = await asyncio.gather(self.check_database(), self.check_redis())
        healthy = database == OK and redis in (OK, NOT_CONFIGURED)
        seen = self.runner.last_received if self.runner is not None else None
        body = {
            "status": "ok" if healthy else "degraded",
            "database": database,
            "redis": redis,
            "last_update_seen": seen.isoformat() if seen is not None else None,
            "seconds_since_last_update": (
                round((utcnow() - seen).total_seconds(), 3) if seen is not None else None
            ),
        }
        return HealthReport(200 if database == OK else 503, body)

    async def check_database(self) -> str:
        try:
            async with asyncio.timeout(self.timeout), self.db.session() as session:
                await session.execute(text("SELECT 1"))
        except TimeoutError:
            return f"error: no answer within {self.timeout:g} s"
        except (SQLAlchemyError, OSError) as exc:
            return f"error: {type(exc).__name__}"
        return OK

    async def check_redis(self) -> str:
        if not self.redis_url:
            return NOT_CONFIGURED
        try:
            # Imported only when configured: the Redis client is an optional dependency.
            client_module: Any = importlib.import_module("redis.asyncio")
            errors: Any = importlib.import_module("redis.exceptions")
        except ImportError:
            return "error: REDIS_URL is set but the redis package is not installed"
        client = client_module.Redis.from_url(
            self.redis_url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
        )
        try:
            async with asyncio.timeout(self.timeout):
                await client.ping()
        except TimeoutError:
            return f"error: no answer within {self.timeout:g} s"
        except (errors.RedisError, OSError) as exc:
            return f"error: {type(exc).__name__}"
        finally:
            await client.aclose()
        return OK
