"""What the bot passes between a family and a specialist always fits Telegram's limits."""

from __future__ import annotations

from html import escape

import pytest

from bot.dialogs.case import PART, parts


@pytest.mark.parametrize(
    "text",
    ["short", "слово " * 1000, "&<>" * 1500, "x" * 4096, "строка\n" * 700],
)
def test_every_part_fits_one_message_and_nothing_is_lost(text: str) -> None:
    pieces = parts(text)
    assert all(len(escape(p)) <= PART for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )
