"""The services map («ресурсная карта»): who helps families in each region, and with what.

The entries live in `content/services.toml`, which a coordinator edits; they are loaded and
checked once at start-up (a mistake stops the bot with one clear line). An entry the
programme's sources do not state is marked `example = true` and may never carry a phone
number: a family must not be sent to a number nobody has checked.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.services.content import CONTENT_DIR, HELP_KINDS, LANGUAGES, ContentError, read_toml
from bot.services.regions import Regions, load_regions

SERVICES_FILE = CONTENT_DIR / "services.toml"
NATIONAL = "all"  # the `region` of a line that serves the whole country

# The kinds of help, in the order a family sees them.
CATEGORIES = HELP_KINDS
TEXT_FIELDS = ("name", "address", "hours", "description")  # each as <field>_ru, <field>_en
_OTHER_FIELDS = ("key", "region", "help", "crisis_line", "example", "phone", "url", "source")
FIELDS = frozenset(_OTHER_FIELDS) | {f"{f}_{lang}" for f in TEXT_FIELDS for lang in LANGUAGES}

_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_PHONE = re.compile(r"\+?[0-9 ()\-]+")
_LEADING_MARKS = re.compile(r"^\W+")


@dataclass(frozen=True)
class Organisation:
    key: str
    region: str  # a key of content/regions.toml, or "all"
    help: tuple[str, ...]  # categories, in the order of CATEGORIES
    texts: dict[str, dict[str, str]]  # field -> locale -> text; "name" always present
    phone: str | None = None
    url: str | None = None
    crisis_line: bool = False
    example: bool = False  # not stated by the sources: shown as an example, never with a phone
    source: str = ""

    def text(self, locale: str, field: str) -> str | None:
        """The field in the person's language, else in Russian; None when not given."""
        given = self.texts.get(field, {})
        return given.get(locale) or given.get("ru")

    def name(self, locale: str) -> str:
        return self.texts["name"].get(locale) or self.texts["name"]["ru"]


def _order(org: Organisation) -> tuple[bool, str]:
    """Real entries before examples, then by the Russian name («ё» as «е», quotes ignored)."""
    name = _LEADING_MARKS.sub("", org.texts["name"]["ru"]).casefold().replace("ё", "е")
    return (org.example, name)


@dataclass(frozen=True)
class ServicesMap:
    items: tuple[Organisation, ...]

    def get(self, key: str) -> Organisation | None:
        return next((o for o in self.items if o.key == key), None)

    def find(self, region: str | None, category: str | None = None) -> tuple[Organisation, ...]:
        """The region's entries and the national ones (only those with no region), with the
        given kind of help if one is named: real before examples, then by name."""
        found = [
            o
            for o in self.items
            if o.region in (region, NATIONAL) and (category is None or category in o.help)
        ]
        return tuple(sorted(found, key=_order))

    def crisis_lines(self, region: str | None) -> tuple[Organisation, ...]:
        """Round-the-clock lines a family can call now (for /sos): crisis lines with a phone.
        Examples never have one, so they are never offered in an emergency."""
        return tuple(o for o in self.find(region) if o.crisis_line and o.phone)

    def categories(self, region: str | None) -> tuple[str, ...]:
        """The kinds of help with at least one entry for the region, in CATEGORIES order."""
        offered = {c for o in self.find(region) for c in o.help}
        return tuple(c for c in CATEGORIES if c in offered)


def load_services_map(
    path: Path = SERVICES_FILE, regions: Regions | Collection[str] | None = None
) -> ServicesMap:
    """Read and check the map; `regions` (default: content/regions.toml) are the valid keys."""
    if regions is None:
        regions = load_regions()
    region_keys = (
        {r.key for r in regions.items} if isinstance(regions, Regions) else set(regions)
    ) | {NATIONAL}
    where = path.name
    entries = read_toml(path).get("service", [])
    if not isinstance(entries, list) or not entries:
        raise ContentError(f"content error: {where}: no [[service]] entries")
    items: list[Organisation] = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ContentError(f"content error: {where}: service {n} is not a [[service]] table")
        org = _organisation(entry, n, region_keys, where)
        if any(o.key == org.key for o in items):
            raise ContentError(f"content error: {where}: service key {org.key!r} is used twice")
        items.append(org)
    return ServicesMap(tuple(items))


def _organisation(entry: dict[str, Any], n: int, regions: set[str], where: str) -> Organisation:
    key = entry.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ContentError(
            f"content error: {where}: service {n} needs a short key (a-z, 0-9, _; up to 32)"
        )

    def fail(problem: str) -> ContentError:
        return ContentError(f"content error: {where}: service {key!r}: {problem}")

    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise fail(f"unknown field {unknown[0]!r}")
    region = entry.get("region")
    if not isinstance(region, str) or region not in regions:
        raise fail(f"unknown region {region!r} (a key of regions.toml, or {NATIONAL!r})")
    help_ = entry.get("help")
    if not isinstance(help_, list) or not help_:
        raise fail("help needs a list of categories")
    for category in help_:
        if category not in CATEGORIES:
            raise fail(f"unknown help category {category!r}")
    texts: dict[str, dict[str, str]] = {}
    for field in TEXT_FIELDS:
        given = {lang: entry.get(f"{field}_{lang}") for lang in LANGUAGES}
        if field != "name" and all(v is None for v in given.values()):
            continue
        if not all(isinstance(v, str) and v.strip() for v in given.values()):
            raise fail(f"{field} needs both " + " and ".join(f"{field}_{x}" for x in LANGUAGES))
        texts[field] = {lang: str(v).strip() for lang, v in given.items()}
    for flag in ("crisis_line", "example"):
        if not isinstance(entry.get(flag, False), bool):
            raise fail(f"{flag} must be true or false")
    example = entry.get("example", False)
    phone = entry.get("phone")
    if phone is not None:
        if example:
            raise fail("an example must not have a phone (only a checked number may be shown)")
        digits = sum(ch.isdigit() for ch in str(phone))
        if not isinstance(phone, str) or not _PHONE.fullmatch(phone) or not 3 <= digits <= 15:
            raise fail(f"phone {phone!r} is not a phone number (digits, spaces, +, -, ())")
    url = entry.get("url")
    if url is not None and not (isinstance(url, str) and re.fullmatch(r"https?://\S+", url)):
        raise fail(f"url {url!r} must be a web address (https://…)")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        raise fail("source needs to say where the entry comes from")
    return Organisation(
        key=key,
        region=str(region),
        help=tuple(c for c in CATEGORIES if c in help_),
        texts=texts,
        phone=phone,
        url=url,
        crisis_line=entry.get("crisis_line", False),
        example=example,
        source=source.strip(),
    )
