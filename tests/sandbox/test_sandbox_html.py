"""Telegram HTML subset parser."""

from __future__ import annotations

import pytest

from sandbox.html import EntityParseError, parse_html, utf16_len


def test_plain_and_entities() -> None:
    text, ents = parse_html("<b>Жирный</b> и <i>курсив</i> &lt;3 &amp; &quot;x&quot; &#65;&#x42;")
    assert text == 'Жирный и курсив <3 & "x" AB'
    assert ents == [
        {"offset": 0, "length": 6, "type": "bold"},
        {"offset": 9, "length": 6, "type": "italic"},
    ]


def test_nested_link_pre_code_blockquote_spoiler() -> None:
    src = (
        '<a href="https://example.org/?a=1&amp;b=2">ссылка</a> '
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>цитата</blockquote>"
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    text, ents = parse_html(src)
    assert text == "ссылка x = 1цитатаst👍"
    types = [e["type"] for e in ents]
    assert types == [
        "text_link",
        "pre",
        "expandable_blockquote",
        "spoiler",
        "spoiler",
        "custom_emoji",
    ]
    assert ents[0]["url"] == "https://example.org/?a=1&b=2"
    assert ents[1]["language"] == "python"


def test_utf16_offsets() -> None:
    text, ents = parse_html("😀<b>ab</b>")
    assert ents == [{"offset": 2, "length": 2, "type": "bold"}]
    assert utf16_len(text) == 4


@pytest.mark.parametrize(
    "bad",
    [
        "<b>unclosed",
        "<b><i>x</b></i>",
        "a < b",
        "fish & chips",
        "<br>",
        "<foo>x</foo>",
        "x</b>",
        "&nbsp;",
        '<span class="x">y</span>',
    ],
)
def test_rejects_invalid(bad: str) -> None:
    with pytest.raises(EntityParseError):
        parse_html(bad)
