"""Settings from the environment (and an optional `.env`), under the design contract's names."""

from __future__ import annotations

import os
import re
import socket
import sys
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from db.session import SUPPORTED_SCHEMES

TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{30,}$")
LOCALES = ("ru", "en")


class ConfigError(Exception):
    """A setting that cannot work; its message is one line meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen_host: str = "0.0.0.0"
    webhook_listen_port: int = Field(default=8080, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    default_locale: Literal["ru", "en"] = "ru"
    timezone: str = "Europe/Moscow"
    # Emergency numbers are configuration: a region may add its own crisis lines.
    helpline_phone: str = "8-800-2000-122"
    emergency_phone: str = "112"
    # 2026-12: the notice names the self-assessment answers, files and the town it keeps.
    consent_version: str = "2026-12"
    # Updates handled at once. Past it, polling leaves updates queued at Telegram (and a
    # webhook holds Telegram's connections), instead of piling up tasks that all wait for
    # the one database connection.
    max_concurrent_updates: int = Field(default=32, ge=1, le=1000)
    # Messages a second the bot sends at most, overall (Telegram allows about 30); per chat
    # it keeps to Telegram's own limits. 0 lifts the overall pacing (paid broadcasts).
    send_rate_limit: float = Field(default=28.0, ge=0, le=10_000)
    # Broadcast messages a second (under SEND_RATE_LIMIT, so families' own conversations keep
    # their share); 0 sends as fast as the overall pacing allows.
    broadcast_rate: float = Field(default=25.0, ge=0, le=10_000)
    # Health and metrics (/healthz, /metrics): in webhook mode on the webhook's server; in
    # polling mode on this port when it is set, off by default. Keep it on loopback or a
    # private network: the figures are for whoever runs the bot, not for the public.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Which bot process this is, in the owner of the work it claims (with its pid): at start a
    # process takes back what its own previous run held. Defaults to the host's name, one
    # process per host (a container); several processes on one host need one each.
    instance_id: str | None = None
    # Shared by several webhook replicas; /healthz pings it when set.
    redis_url: str | None = None
    # Seconds after which an update stored but still not handled (its instance was killed
    # or stopped for good behind a shared webhook) is handled by whichever instance looks.
    adopt_updates_after: float = Field(default=120.0, ge=1, le=86_400)
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8081, ge=1, le=65535)
    # The sandbox keeps its own database and its world (chats, clock) apart from real data.
    sandbox_database_url: str = "sqlite+aiosqlite:///data/sandbox.db"
    sandbox_dir: Path = Path("data")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("bot_token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not TOKEN_RE.match(value.strip()):
            raise ValueError("does not look like a Telegram bot token (digits:secret)")
        return value.strip()

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            bad = [p for p in parts if not re.fullmatch(r"-?\d{1,20}", p)]
            if bad:
                raise ValueError(f"expected comma-separated Telegram user ids, got {bad[0]!r}")
            return tuple(int(p) for p in parts)
        return value

    @field_validator("database_url", "sandbox_database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            scheme = make_url(value).drivername
        except ArgumentError:
            raise ValueError("is not a database URL") from None
        if scheme not in SUPPORTED_SCHEMES:
            raise ValueError(f"scheme {scheme!r} is not supported; use one of {SUPPORTED_SCHEMES}")
        return value

    @field_validator("webhook_url", "telegram_api_url", "redis_url", "metrics_port", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be an https:// URL (Telegram delivers webhooks over TLS only)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s):// URL of a Bot API server")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def webhook_path(self) -> str:
        if not self.webhook_url:
            return "/"
        return urlsplit(self.webhook_url).path or "/"


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad value raises ConfigError with one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"configuration error: {name}: {message}") from None


def load_settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def instance_owner(settings: Settings) -> str:
    """`instance:pid`, the owner written on claimed work and deliveries."""
    return f"{settings.instance_id or socket.gethostname()}:{os.getpid()}"
