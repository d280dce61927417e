"""Reply templates: quick replies a specialist sends to a family with one tap.

The templates live in `content/templates.toml`, which a coordinator edits; they are loaded
and checked once at start-up (a mistake stops the bot with one clear line). Each is offered
in the queues it names (or in all of them), with a button title and a text in Russian and
English. A text may use only the placeholders of `PLACEHOLDERS`, written `{number}`; the
result of `render` is plain text (escape it before sending it with an HTML parse mode).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Any

from bot.services.content import CONTENT_DIR, LANGUAGES, ContentError, read_toml
from bot.services.queues import ALL_REGIONS, Queues, load_queues

TEMPLATES_FILE = CONTENT_DIR / "templates.toml"
ALL_QUEUES = ALL_REGIONS  # `queues = ["all"]`: offered in every queue
PLACEHOLDERS = {
    "specialist": "the specialist's first name",
    "number": "the request's number",
    "queue": "the queue's name",
}
MAX_TITLE = 30  # a button on a phone
MAX_TEXT = 2000  # characters of a template's text; a Telegram message holds 4096

_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_FIELDS = frozenset(
    {"key", "queues"} | {f"{f}_{lang}" for f in ("title", "text") for lang in LANGUAGES}
)


@dataclass(frozen=True)
class Template:
    key: str
    queues: tuple[str, ...]  # queue keys, or ("all",)
    titles: dict[str, str]  # by locale: the button's label
    texts: dict[str, str]  # by locale: the message, with {placeholders}

    def title(self, locale: str) -> str:
        return self.titles.get(locale) or self.titles["ru"]

    def text(self, locale: str) -> str:
        """The text with its placeholders, in the locale or else in Russian."""
        return self.texts.get(locale) or self.texts["ru"]

    def placeholders(self, locale: str) -> tuple[str, ...]:
        """The placeholders the locale's text uses, in order, each once."""
        return _placeholders(self.text(locale))

    def render(self, locale: str, **values: object) -> str:
        """The message in the locale (else Russian) with the values put in. Values the text
        does not use are ignored; one it uses and is not given is a KeyError."""
        return self.text(locale).format_map(values)

    def offered_in(self, queue: str) -> bool:
        return ALL_QUEUES in self.queues or queue in self.queues


@dataclass(frozen=True)
class Templates:
    items: tuple[Template, ...]

    def get(self, key: str) -> Template | None:
        return next((t for t in self.items if t.key == key), None)

    def for_queue(self, key: str) -> tuple[Template, ...]:
        """The templates a specialist of the queue can send, in the file's order."""
        return tuple(t for t in self.items if t.offered_in(key))


def _placeholders(text: str) -> tuple[str, ...]:
    names = [name for _, name, _, _ in Formatter().parse(text) if name is not None]
    return tuple(dict.fromkeys(names))


def load_templates(path: Path = TEMPLATES_FILE, queues: Queues | None = None) -> Templates:
    """Read and check the templates; `queues` (default: content/queues.toml) are the queue
    keys a template may name."""
    if queues is None:
        queues = load_queues()
    queue_keys = {q.key for q in queues.items}
    where = path.name
    entries = read_toml(path).get("template", [])
    if not isinstance(entries, list) or not entries:
        raise ContentError(f"content error: {where}: no [[template]] entries")
    items: list[Template] = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ContentError(f"content error: {where}: template {n} is not a [[template]] table")
        template = _template(entry, n, queue_keys, where)
        if any(t.key == template.key for t in items):
            raise ContentError(
                f"content error: {where}: template key {template.key!r} is used twice"
            )
        items.append(template)
    return Templates(tuple(items))


def _template(entry: dict[str, Any], n: int, queue_keys: set[str], where: str) -> Template:
    key = entry.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ContentError(
            f"content error: {where}: template {n} needs a short key (a-z, 0-9, _; up to 32)"
        )

    def fail(problem: str) -> ContentError:
        return ContentError(f"content error: {where}: template {key!r}: {problem}")

    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise fail(f"unknown field {unknown[0]!r}")
    queues = entry.get("queues")
    if not isinstance(queues, list) or not queues:
        raise fail(f'queues needs a list of queue keys, or ["{ALL_QUEUES}"]')
    for queue in queues:
        if not isinstance(queue, str) or (queue != ALL_QUEUES and queue not in queue_keys):
            raise fail(f"unknown queue {queue!r} (a key of queues.toml, or {ALL_QUEUES!r})")
    if ALL_QUEUES in queues and len(queues) > 1:
        raise fail(f'queues: "{ALL_QUEUES}" stands alone (it already means every queue)')
    given: dict[str, dict[str, str]] = {}
    for field, limit in (("title", MAX_TITLE), ("text", MAX_TEXT)):
        values = {lang: entry.get(f"{field}_{lang}") for lang in LANGUAGES}
        for lang, value in values.items():
            if not isinstance(value, str) or not value.strip():
                raise fail(f"{field}_{lang} is missing (every template is in ru and en)")
            if len(value.strip()) > limit:
                raise fail(f"{field}_{lang} is longer than {limit} characters")
        given[field] = {lang: str(v).strip() for lang, v in values.items()}
    for lang, text in given["text"].items():
        _check_placeholders(text, f"text_{lang}", fail)
    return Template(
        key=key,
        queues=tuple(dict.fromkeys(str(q) for q in queues)),
        titles=given["title"],
        texts=given["text"],
    )


def _check_placeholders(text: str, field: str, fail: Callable[[str], ContentError]) -> None:
    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        raise fail(f"{field} has a lone {{ or }} (write {{{{ or }}}} for a brace)") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            raise fail(f"{field}: unknown placeholder {shown} (use {allowed})")
