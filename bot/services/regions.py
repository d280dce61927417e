"""The regions a family can choose, from `content/regions.toml`, each with its time zone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.services.content import CONTENT_DIR, LANGUAGES, ContentError, read_toml

REGIONS_FILE = CONTENT_DIR / "regions.toml"


@dataclass(frozen=True)
class Region:
    key: str
    names: dict[str, str]  # by locale
    timezone: str | None  # None: the bot's TIMEZONE setting ("another region")

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["ru"]


@dataclass(frozen=True)
class Regions:
    items: tuple[Region, ...]

    def get(self, key: str | None) -> Region | None:
        return next((r for r in self.items if r.key == key), None)

    def timezone_of(self, key: str | None, default: str) -> str:
        region = self.get(key)
        return region.timezone if region is not None and region.timezone else default


def load_regions(path: Path = REGIONS_FILE) -> Regions:
    where = path.name
    data = read_toml(path)
    items: list[Region] = []
    for n, entry in enumerate(data.get("region", []), start=1):
        key = entry.get("key")
        if not isinstance(key, str) or not key.isidentifier() or len(key) > 24:
            raise ContentError(f"content error: {where}: region {n} needs a short key (a-z, _)")
        if any(r.key == key for r in items):
            raise ContentError(f"content error: {where}: region key {key!r} is used twice")
        names = {lang: entry.get(lang) for lang in LANGUAGES}
        if not all(isinstance(v, str) and v.strip() for v in names.values()):
            raise ContentError(f"content error: {where}: region {key!r} needs ru and en names")
        timezone = None if entry.get("other") else entry.get("timezone")
        if not entry.get("other"):
            try:
                ZoneInfo(str(timezone))
            except (ZoneInfoNotFoundError, ValueError):
                raise ContentError(
                    f"content error: {where}: region {key!r}: unknown time zone {timezone!r}"
                ) from None
        items.append(Region(key, {k: str(v) for k, v in names.items()}, timezone))
    if not items:
        raise ContentError(f"content error: {where}: no [[region]] entries")
    return Regions(tuple(items))
