"""The :class:`Emulator`: owns the world, runs the HTTP server, exposes the test API."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from sandbox.faults import CallLog, CallRecord, FaultInjector, RateLimiter
from sandbox.methods import BotApi
from sandbox.server import build_app
from sandbox.spec import ApiSpec, SpecError, Upload, load_spec
from sandbox.state import ApiError, BotAccount, CallbackRecord, World
from sandbox.testing import TestGroup, TestUser

__all__ = ["Emulator"]

TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")

# Methods whose every call counts against the rate-limit model (sending new messages).
_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


class Emulator:
    """A local Telegram Bot API server.

    ``async with Emulator() as emu:`` starts it on 127.0.0.1 and a free port; point the bot
    at ``emu.api_url``. ``auto_register=True`` accepts any well-formed token on first use.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit: bool = False,
        auto_register: bool = False,
        spec_path: str | None = None,
        callback_timeout: float = 15.0,
        log_size: int = 100_000,
    ) -> None:
        self.host = host
        self.port = port
        self.auto_register = auto_register
        self.spec: ApiSpec = load_spec(spec_path)
        self.world = World()
        self.faults = FaultInjector()
        self.limiter = RateLimiter(enabled=rate_limit)
        self.log = CallLog(log_size)
        self.api = BotApi(self.world, self.spec, self.limiter, callback_timeout)
        self.test_users: dict[int, TestUser] = {}
        self.test_groups: dict[int, TestGroup] = {}
        # More routes on the same server (the web chat), added before it starts.
        self.app_setup: list[Callable[[web.Application], None]] = []
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> Emulator:
        app = build_app(self)
        for setup in self.app_setup:
            setup(app)
        # handler_cancellation: a long poll whose client went away must not linger.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.world.wake_all()
        await self.api.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- world set-up -----------------------------------------------------------------

    def add_bot(
        self, username: str | None = None, token: str | None = None, first_name: str | None = None
    ) -> str:
        """Register a bot; returns its token. The first bot is the default one."""
        if token is not None and not TOKEN_RE.match(token):
            raise ValueError(f"malformed bot token: {token!r}")
        return self.world.add_bot(token, username, first_name).token

    def bot_for_token(self, token: str) -> BotAccount | None:
        bot = self.world.bots_by_token.get(token)
        if bot is None and self.auto_register and TOKEN_RE.match(token):
            bot = self.world.add_bot(token)
        return bot

    def _bot(self, bot: str | None) -> BotAccount:
        if bot is None:
            if self.world.default_bot is None:
                self.world.add_bot()
            assert self.world.default_bot is not None
            return self.world.default_bot
        found = self.world.bots_by_token.get(bot)
        if found is None:
            raise KeyError(f"unknown bot token {bot!r}")
        return found

    @property
    def default_token(self) -> str:
        return self._bot(None).token

    def add_user(
        self,
        first_name: str = "Анна",
        language_code: str | None = "ru",
        username: str | None = None,
        *,
        last_name: str | None = None,
        user_id: int | None = None,
        bot: str | None = None,
    ) -> TestUser:
        """A person with a private chat with ``bot`` (default: the first bot)."""
        account = self._bot(bot)
        user = self.world.add_user(first_name, language_code, username, last_name, user_id)
        test_user = TestUser(self, user, account)
        self.test_users.setdefault(user.id, test_user)
        return test_user

    def add_group(
        self,
        title: str = "Группа",
        members: list[TestUser] | None = None,
        *,
        bot_is_admin: bool = True,
        supergroup: bool = False,
        bot: str | None = None,
        username: str | None = None,
        bot_rights: dict[str, bool] | None = None,
    ) -> TestGroup:
        """A basic group (or a supergroup); ``bot_rights`` narrows an admin bot's rights,
        e.g. ``{"can_delete_messages": False}`` (default: all granted)."""
        return self._group(
            title, members or [], bot_is_admin, supergroup, False, bot, username, bot_rights
        )

    def add_forum_group(
        self,
        title: str = "Форум",
        members: list[TestUser] | None = None,
        *,
        bot_is_admin: bool = True,
        bot: str | None = None,
        username: str | None = None,
        bot_rights: dict[str, bool] | None = None,
    ) -> TestGroup:
        return self._group(
            title, members or [], bot_is_admin, True, True, bot, username, bot_rights
        )

    def _group(
        self,
        title: str,
        members: list[TestUser],
        bot_is_admin: bool,
        supergroup: bool,
        forum: bool,
        bot: str | None,
        username: str | None,
        bot_rights: dict[str, bool] | None,
    ) -> TestGroup:
        account = self._bot(bot)
        self.check_admin_rights(bot_rights or {})
        chat = self.world.add_group(
            title,
            [m.user for m in members],
            [account],
            forum,
            supergroup,
            bot_is_admin,
            username,
            bot_rights,
        )
        group = TestGroup(self, chat, account)
        self.test_groups[chat.id] = group
        return group

    def adopt_world(self) -> None:
        """Test API objects for the people and groups of a world loaded from disk."""
        bot = self._bot(None)
        for user in self.world.users.values():
            self.test_users.setdefault(user.id, TestUser(self, user, bot))
        for chat in self.world.groups.values():
            self.test_groups.setdefault(chat.id, TestGroup(self, chat, bot))

    def check_admin_rights(self, rights: dict[str, bool]) -> None:
        """Reject names that are not ``can_*`` fields of ChatMemberAdministrator."""
        fields = self.spec.types.get("ChatMemberAdministrator", {}).get("fields", [])
        known = {f["name"] for f in fields if f["name"].startswith("can_")}
        unknown = sorted(set(rights) - known)
        if unknown:
            raise ValueError(f"unknown administrator rights: {unknown}")

    # -- inspection -------------------------------------------------------------------

    def calls(self, method: str | None = None, bot: str | None = None) -> list[CallRecord]:
        bot_id = self._bot(bot).id if bot is not None else None
        return self.log.query(method, bot_id)

    @property
    def violations(self) -> list[CallRecord]:
        """Calls rejected as invalid (400/401/404, not injected faults)."""
        return list(self.log.violations)

    def unanswered_callbacks(self, older_than: float = 0.0) -> list[CallbackRecord]:
        t = time.monotonic()
        return [
            cb
            for cb in self.world.callbacks.values()
            if cb.answer is None and t - cb.created >= older_than
        ]

    def delivered_updates(self, bot: str | None = None) -> list[dict[str, Any]]:
        """Every update handed out by getUpdates so far, in order."""
        return [u for call in self.calls("getUpdates", bot) if call.ok for u in call.result or []]

    def balance_webhook(self, url: str, backends: list[str]) -> None:
        """Play a TLS proxy in front of several bot processes: updates for the webhook `url`
        (what the bots set) go to `backends` in turn, one in flight to each."""
        self.world.webhook_backends[url] = list(backends)

    def redeliver(self, update: dict[str, Any], bot: str | None = None) -> None:
        """Queue an already delivered update again, as Telegram does after an unconfirmed
        offset or a failed webhook call."""
        account = self._bot(bot)
        copy = dict(update)  # the original may still be queued: only this one is re-sent
        account.updates.append(copy)
        account.resent.append(copy)
        account.signal.notify()

    # -- the call pipeline -------------------------------------------------------------

    async def call(
        self, token: str, method: str, raw: dict[str, Any], files: dict[str, Upload] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Execute one Bot API call; returns (HTTP status, JSON payload)."""
        files = files or {}
        bot = self.bot_for_token(token)
        if bot is None:
            self.log.add(CallRecord(time.time(), None, method, raw, 401, error="Unauthorized"))
            return 401, _UNAUTHORIZED
        mspec = self.spec.method(method)
        if mspec is None:
            self.log.add(CallRecord(time.time(), bot.id, method, raw, 404, error="Not Found"))
            return 404, _NOT_FOUND
        name = mspec.name
        params: dict[str, Any] = raw
        try:
            params = mspec.validate(raw, files)
            delay = self.faults.delay_for(name)
            if delay:
                await asyncio.sleep(delay)  # injected latency
            injected = self.faults.take(name, params)
            if injected is not None:
                raise injected
            result = await self.api.execute(bot, name, params)
        except SpecError as exc:
            self.log.add(
                CallRecord(time.time(), bot.id, name, params, exc.error_code, error=exc.description)
            )
            return exc.error_code, {
                "ok": False,
                "error_code": exc.error_code,
                "description": exc.description,
            }
        except ApiError as exc:
            self.log.add(
                CallRecord(
                    time.time(),
                    bot.id,
                    name,
                    params,
                    exc.error_code,
                    error=exc.description,
                    injected=exc.injected,
                )
            )
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": exc.error_code,
                "description": exc.description,
            }
            if exc.retry_after is not None:
                payload["parameters"] = {"retry_after": exc.retry_after}
            return exc.error_code, payload
        self.log.add(CallRecord(time.time(), bot.id, name, params, 200, result=result))
        return 200, {"ok": True, "result": result}
