from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings
from tests.conftest import env_for

TOKEN = "123456789:AAEexampleexampleexampleexample_123"


def test_defaults_follow_the_contract() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///data/bot.db"
    assert settings.default_locale == "ru"
    assert settings.bot_token is None and settings.webhook_url is None
    assert settings.admin_ids == ()
    assert settings.helpline_phone == "8-800-2000-122" and settings.emergency_phone == "112"


def test_values_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", " 1, 22 ,333")
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/tg/hook")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    settings = load_settings()
    assert settings.admin_ids == (1, 22, 333)
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == TOKEN
    assert settings.webhook_path == "/tg/hook"
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS"),
        ("DATABASE_URL", "mysql://localhost/db", "DATABASE_URL"),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("WEBHOOK_URL", "http://bot.example.org/hook", "https"),
        ("BOT_TOKEN", "nonsense", "BOT_TOKEN"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
    ],
)
def test_bad_values_give_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message and fragment in message
    assert message.startswith("configuration error: ")


def test_bad_config_exits_2_without_traceback_and_hides_the_token() -> None:
    bad_token = "123:short-secret-that-is-not-valid"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-config"],
        env=env_for(ADMIN_IDS="1,two", BOT_TOKEN=bad_token),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert bad_token not in result.stderr + result.stdout


def test_good_config_passes_check() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-config"],
        env=env_for(BOT_TOKEN=TOKEN, ADMIN_IDS="5"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stderr + result.stdout
