"""The data files a coordinator edits (`content/`): where they are, how they are read, and
the one-line error that stops start-up when one cannot work."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from db.models import HelpKind

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
LANGUAGES = ("ru", "en")  # every piece of content is given in both
HELP_KINDS = tuple(kind.value for kind in HelpKind)  # the help categories, in menu order


class ContentError(Exception):
    """A content file that cannot work; the message is one line for the coordinator."""


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"content error: {path.name}: {exc}") from None
