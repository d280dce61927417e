"""Catalog upkeep for `make i18n` and the completeness test.

English is the source language, so the English catalog's translations are the msgids
themselves; `fill-source` writes them in. Every other catalog is translated by people.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LOCALES_DIR

SOURCE_LOCALE = "en"


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(locale: str) -> Catalog:
    with catalog_path(locale).open("rb") as fh:
        return read_po(fh, locale=locale)


def problems(catalog: Catalog) -> list[str]:
    """Messages that are missing a translation or still marked fuzzy."""
    found = []
    for message in catalog:
        if not message.id:
            continue
        raw = message.string
        strings = tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)
        if message.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        elif not all(strings):
            found.append(f"untranslated: {message.id!r}")
    return found


def fill_source() -> int:
    catalog = load(SOURCE_LOCALE)
    filled = 0
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string or ()):
                message.string = (message.id[0], message.id[1])
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
    with catalog_path(SOURCE_LOCALE).open("wb") as fh:
        write_po(fh, catalog)  # pybabel's own wrapping, so `make i18n` diffs stay small
    return filled


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.catalogs")
    parser.add_argument("action", choices=["fill-source", "check"])
    args = parser.parse_args()
    if args.action == "fill-source":
        print(f"{SOURCE_LOCALE}: {fill_source()} messages filled from their source text")
        return
    failed = False
    for locale in ("ru", "en"):
        for line in problems(load(locale)):
            print(f"{locale}: {line}")
            failed = True
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
