from __future__ import annotations

import logging

import pytest

from bot.logs import RedactingFilter

TOKEN = "123456789:AAEexampleexampleexampleexample_123"


def test_secrets_are_masked_in_any_record(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    handler = caplog.handler
    handler.addFilter(RedactingFilter([TOKEN]))
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    finally:
        handler.removeFilter(handler.filters[-1])
    assert TOKEN not in caplog.text
    assert "bot***/getMe" in caplog.text
