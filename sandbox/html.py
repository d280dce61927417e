"""Telegram's HTML subset (parse_mode="HTML") → plain text + MessageEntity list.

Telegram is strict: an unknown tag, a tag closed out of order, an unclosed tag or a
bare ``<``/``&`` makes the whole call fail with 400 "can't parse entities". The bot
must therefore escape user input; the emulator reproduces the strictness so a missing
``html.escape`` shows up in tests instead of in production.

Offsets and lengths are in UTF-16 code units, as in the real API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntityParseError", "parse_html", "parse_markdown_lenient", "utf16_len"]


class EntityParseError(ValueError):
    """The text cannot be parsed; str(exc) is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    # Characters outside the BMP count twice, like in Telegram (and JavaScript).
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_ALL_TAGS = {*_SIMPLE_TAGS, "a", "span", "tg-emoji"}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_RE = re.compile(
    r"\s*([a-zA-Z_][a-zA-Z0-9_-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?"
)


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset in the output
    byte_offset: int
    entity: dict[str, Any] | None
    children_code_language: list[str] = field(default_factory=list)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int]:
    m = _ENTITY_RE.match(source, i)
    if m is None:
        raise EntityParseError(
            f"Character entity expected at byte offset {_byte_offset(source, i)}"
        )
    dec, hexa, name = m.groups()
    if name is not None:
        if name not in _NAMED_ENTITIES:
            raise EntityParseError(
                f'Unsupported HTML entity "&{name};" at byte offset {_byte_offset(source, i)}'
            )
        return _NAMED_ENTITIES[name], m.end()
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(f"Invalid character entity at byte offset {_byte_offset(source, i)}")
    return chr(code), m.end()


def _unescape_attr(source: str, value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            ch, i = _decode_entity(value, i)
            out.append(ch)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _start_tag(
    source: str, name: str, attrs: dict[str, str], at: int, stack: list[_Open]
) -> dict[str, Any] | None:
    """Return the entity a start tag opens (offset/length filled on close), or None."""
    offset = _byte_offset(source, at)
    if name == "a":
        href = attrs.get("href", "")
        if not href:
            # Telegram silently drops <a> without href; keep it as plain text.
            return None
        if href.startswith("tg://user?id="):
            return {"type": "text_mention", "user": {"id": int(href[13:] or 0)}}
        return {"type": "text_link", "url": href}
    if name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
            )
        return {"type": "spoiler"}
    if name == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise EntityParseError(
                f"Custom emoji entity must contain a tg://emoji URL at byte offset {offset}"
            )
        return {"type": "custom_emoji", "custom_emoji_id": emoji_id}
    if name == "code" and stack and stack[-1].tag == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].children_code_language.append(language[9:])
            return None
    if name == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    return {"type": _SIMPLE_TAGS[name]}


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML. Returns (plain text, entities) or raises EntityParseError."""
    out: list[str] = []
    pos16 = 0  # running UTF-16 length of the output
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    n = len(source)
    while i < n:
        ch = source[i]
        if ch == "&":
            decoded, i = _decode_entity(source, i)
            out.append(decoded)
            pos16 += utf16_len(decoded)
            continue
        if ch != "<":
            # Copy the run of ordinary characters in one go (fast path for long texts).
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            chunk = source[i:j]
            out.append(chunk)
            pos16 += utf16_len(chunk)
            i = j
            continue
        # A tag.
        at = i
        closing = source.startswith("</", i)
        i += 2 if closing else 1
        m = _TAG_NAME_RE.match(source, i)
        if m is None:
            raise EntityParseError(
                f"Unexpected end of name token at byte offset {_byte_offset(source, at)}"
            )
        name = m.group(0).lower()
        i = m.end()
        if closing:
            while i < n and source[i].isspace():
                i += 1
            if i >= n or source[i] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(source, at)}"
                )
            i += 1
            if not stack:
                raise EntityParseError(
                    f"Unexpected end tag at byte offset {_byte_offset(source, at)}"
                )
            top = stack[-1]
            if top.tag != name:
                raise EntityParseError(
                    f'Can\'t find end tag corresponding to start tag "{top.tag}"'
                )
            stack.pop()
            if top.entity is not None:
                if top.entity["type"] == "pre" and top.children_code_language:
                    top.entity["language"] = top.children_code_language[0]
                length = pos16 - top.start
                if length > 0:
                    entities.append({"offset": top.start, "length": length, **top.entity})
            continue
        if name not in _ALL_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, at)}'
            )
        attrs: dict[str, str] = {}
        while True:
            while i < n and source[i].isspace():
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(source, at)}"
                )
            if source[i] == ">":
                i += 1
                break
            am = _ATTR_RE.match(source, i)
            if am is None or am.end() == i:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(source, at)}"
                )
            raw = am.group(2) if am.group(2) is not None else am.group(3)
            if raw is None:
                raw = am.group(4) or ""
            attrs[am.group(1).lower()] = _unescape_attr(source, raw)
            i = am.end()
        entity = _start_tag(source, name, attrs, at, stack)
        stack.append(_Open(name, pos16, _byte_offset(source, at), entity))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


_MD_ESCAPE_RE = re.compile(r"\\([\\_*\[\]()~`>#+\-=|{}.!])")


def parse_markdown_lenient(source: str) -> tuple[str, list[dict[str, Any]]]:
    """MarkdownV2/Markdown are not used by our bot: accept them, drop the escapes only."""
    return _MD_ESCAPE_RE.sub(r"\1", source), []
