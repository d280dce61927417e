"""Red flags in what a person writes: danger now, which must reach people at once.

The stems live in `content/red_flags.toml`, which a coordinator may extend; they are loaded
and checked once at start-up (a bad pattern stops the bot with one clear line). Both
languages are searched whatever the person's language: people mix them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.services.content import CONTENT_DIR, HELP_KINDS, LANGUAGES, ContentError, read_toml

RED_FLAGS_FILE = CONTENT_DIR / "red_flags.toml"
NEGATION_WINDOW = 2  # words before a match that may negate it («он меня не бьёт»)

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "ё": "е"})
_NOT_A_WORD = re.compile(r"[^\w' ]+")


def normalize(text: str) -> str:
    """Lower case, «ё» as «е», punctuation as spaces: the form patterns are written for."""
    return " ".join(_NOT_A_WORD.sub(" ", text.lower().translate(_APOSTROPHES)).split())


@dataclass(frozen=True)
class RedFlags:
    flags: dict[str, tuple[re.Pattern[str], ...]]
    negations: frozenset[str]
    # The help category an urgent request raised by each flag asks for.
    help: dict[str, str] = field(default_factory=dict)

    def find(self, text: str) -> list[str]:
        """The flags the text raises, in the file's order (empty for most messages)."""
        clean = normalize(text)
        return [
            name
            for name, patterns in self.flags.items()
            if any(self._raised(pattern, clean) for pattern in patterns)
        ]

    def _raised(self, pattern: re.Pattern[str], clean: str) -> bool:
        for match in pattern.finditer(clean):
            before = clean[: match.start()].split()[-NEGATION_WINDOW:]
            if not self.negations.intersection(before):
                return True
        return False


def load_red_flags(path: Path = RED_FLAGS_FILE) -> RedFlags:
    where = path.name
    data = read_toml(path)
    negations = data.get("negations", {})
    flags = data.get("flags", {})
    if not isinstance(flags, dict) or not flags:
        raise ContentError(f"content error: {where}: no [flags.…] tables")
    compiled: dict[str, tuple[re.Pattern[str], ...]] = {}
    help_for: dict[str, str] = {}
    for name, table in flags.items():
        patterns = []
        for lang in LANGUAGES:
            entries = table.get(lang) if isinstance(table, dict) else None
            if not entries or not all(isinstance(e, str) and e.strip() for e in entries):
                raise ContentError(f"content error: {where}: flags.{name}.{lang} needs patterns")
            for entry in entries:
                try:
                    patterns.append(re.compile(rf"(?<![\w']){entry}"))
                except re.error as exc:
                    raise ContentError(
                        f"content error: {where}: flags.{name}.{lang}: {entry!r}: {exc}"
                    ) from None
        compiled[name] = tuple(patterns)
        kind = table.get("help")
        if kind not in HELP_KINDS:
            raise ContentError(
                f"content error: {where}: flags.{name}.help must be one of {', '.join(HELP_KINDS)}"
            )
        help_for[name] = kind
    words = {normalize(w) for lang in LANGUAGES for w in negations.get(lang, [])}
    return RedFlags(compiled, frozenset(words), help_for)
