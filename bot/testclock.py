"""A clock for end-to-end tests of the real process: with `BOT_CLOCK_OFFSET_FILE` set, the
app's "now" is the system time plus the number of seconds in that file, read again whenever
the file changes — so a test moves time for a running bot, across restarts, without
sleeping. Never set in production."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.base import set_clock

ENV = "BOT_CLOCK_OFFSET_FILE"


class OffsetClock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: float | None = None
        self._offset = timedelta()

    def __call__(self) -> datetime:
        try:
            stamp = self.path.stat().st_mtime
            if stamp != self._stamp:
                self._offset = timedelta(seconds=float(self.path.read_text() or 0))
                self._stamp = stamp
        except (OSError, ValueError):
            pass  # keep the last offset
        return datetime.now(UTC) + self._offset


def install_from_env() -> None:
    path = os.environ.get(ENV)
    if path:
        set_clock(OffsetClock(Path(path)))
