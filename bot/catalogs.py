"""Catalog upkeep for `make i18n` and the completeness test.

English is the source language, so the English catalog's translations are the msgids
themselves; `fill-source` writes them in. Every other catalog is translated by people.

`extract_content` is the Babel extractor for the data files whose text is translated through
the catalogs (content/assessment.toml); babel.cfg maps it to them.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

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


def extract_content(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any] | Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extraction method for content/assessment.toml: the names of its domains, its
    questions and its answer labels, each with a note for the translator. The file is
    checked as at start-up, so `make i18n` stops on a broken one with the same line."""
    from bot.services.assessment import MAX_LABEL, parse_assessment
    from bot.services.content import ContentError

    source = fileobj.read().decode("utf-8")
    name = Path(str(getattr(fileobj, "name", "assessment.toml"))).name
    try:
        questionnaire = parse_assessment(tomllib.loads(source), name)
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"content error: {name}: {exc}") from None
    except ContentError as exc:
        raise SystemExit(str(exc)) from None
    lines = _Lines(source)
    for domain in questionnaire.domains:
        yield lines.find(domain.name), None, domain.name, ["Self-assessment: a life area"]
    for question in questionnaire.questions:
        yield lines.find(question.text), None, question.text, ["Self-assessment: a question"]
        for answer in question.answers:
            note = f"Self-assessment: an answer button, at most {MAX_LABEL} characters"
            yield lines.find(answer.text), None, answer.text, [note]


class _Lines:
    """Line numbers of strings in a TOML file, searched forward from the last one found."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def find(self, text: str) -> int:
        at = self.source.find(json.dumps(text, ensure_ascii=False), self.pos)
        if at < 0:
            return self.source.count("\n", 0, self.pos) + 1
        self.pos = at
        return self.source.count("\n", 0, at) + 1


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
