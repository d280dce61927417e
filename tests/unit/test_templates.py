"""Reply templates: content/templates.toml as shipped, rendering, which queue offers which,
and the loader's one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.services.content import HELP_KINDS, ContentError
from bot.services.queues import Queues, load_queues
from bot.services.templates import MAX_TITLE, PLACEHOLDERS, Template, Templates, load_templates

QUEUES = load_queues()
TEMPLATES = load_templates(queues=QUEUES)
VALUES = {"specialist": "Анна", "number": 7, "queue": "Поддержка семьи"}


# --- the shipped file


def test_the_shipped_templates_load_against_the_shipped_queues() -> None:
    assert load_templates() == TEMPLATES
    assert 5 <= len(TEMPLATES.items) <= 8


@pytest.mark.parametrize("template", TEMPLATES.items, ids=lambda t: t.key)
def test_every_shipped_template_reads_well_in_both_languages(template: Template) -> None:
    for locale in ("ru", "en"):
        assert len(template.title(locale)) <= MAX_TITLE
        text = template.render(locale, **VALUES)
        assert "{" not in text and "}" not in text
        assert "7" in text  # every reply names the request
        assert set(template.placeholders(locale)) <= set(PLACEHOLDERS)
    # both languages use the same placeholders, and Russian reads as Russian
    assert set(template.placeholders("ru")) == set(template.placeholders("en"))
    assert re.search("[а-яё]", template.text("ru"), re.IGNORECASE)
    # the tone: a plain «вы» (capital only to begin a sentence); no phone numbers: those
    # are the bot's settings, which /sos shows
    assert not re.search(r"[^.!?\s]\s+В(ы|ас|ам|ами|аш\w*)\b", template.text("ru"))
    assert not re.search(r"\d{3}", template.text("ru") + template.text("en"))


@pytest.mark.parametrize(
    ("queue", "keys"),
    [
        ("irk_family", ["received", "call_time", "no_answer", "documents", "rental",
                        "how_are_you"]),
        ("prim_crisis", ["received", "call_time", "no_answer", "documents", "safe_now",
                         "how_are_you"]),
        ("general", ["received", "call_time", "no_answer", "documents", "rental", "safe_now",
                     "how_are_you"]),
        ("nobody", ["received", "call_time", "no_answer", "documents", "how_are_you"]),
    ],
)  # fmt: skip
def test_for_queue(queue: str, keys: list[str]) -> None:
    assert [t.key for t in TEMPLATES.for_queue(queue)] == keys


# --- rendering

TWO = """
[[template]]
key = "hello"
queues = ["a"]
title_ru = "Привет"
title_en = "Hello"
text_ru = "{specialist}: заявка № {number} ({queue}), скобки {{так}}"
text_en = "{specialist}: request No. {number}"

[[template]]
key = "everywhere"
queues = ["all"]
title_ru = "Везде"
title_en = ""
text_ru = "Текст"
text_en = "Text"
"""
GOOD = TWO.replace('title_en = ""', 'title_en = "Everywhere"')


def write_queues(path: Path) -> Queues:
    """Two queues, "a" and "b", that take every kind of help everywhere."""
    kinds = ", ".join(f'"{k}"' for k in HELP_KINDS)
    hours = "".join(f'{d} = "09:00-18:00"\n' for d in ("mon", "tue", "wed", "thu", "fri"))
    one = (
        '[[queue]]\nkey = "{k}"\nname_ru = "Р"\nname_en = "E"\nshort_ru = "Р"\nshort_en = "E"\n'
        f'help = [{kinds}]\nregions = ["all"]\ntimezone = "Europe/Moscow"\n'
        "[queue.sla]\nurgent = 30\nhigh = 60\nnormal = 480\n"
        f'[queue.hours]\n{hours}sat = ""\nsun = ""\n'
    )
    path.write_text(one.replace("{k}", "a") + one.replace("{k}", "b"), "utf-8")
    return load_queues(path)


@pytest.fixture(scope="module")
def queues_ab(tmp_path_factory: pytest.TempPathFactory) -> Queues:
    return write_queues(tmp_path_factory.mktemp("queues") / "queues.toml")


@pytest.fixture
def two(tmp_path: Path, queues_ab: Queues) -> Templates:
    path = tmp_path / "templates.toml"
    path.write_text(GOOD, "utf-8")
    return load_templates(path, queues_ab)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("ru", "Анна: заявка № 7 (Поддержка семьи), скобки {так}"),
        ("en", "Анна: request No. 7"),
        ("de", "Анна: заявка № 7 (Поддержка семьи), скобки {так}"),  # falls back to Russian
    ],
)
def test_render(two: Templates, locale: str, text: str) -> None:
    hello = two.get("hello")
    assert hello is not None
    assert hello.render(locale, **VALUES) == text


def test_render_keeps_the_values_as_they_are(two: Templates) -> None:
    hello = two.get("hello")
    assert hello is not None
    assert hello.render("en", specialist="{number}", number="<b>", extra="unused") == (
        "{number}: request No. <b>"
    )
    with pytest.raises(KeyError, match="number"):
        hello.render("en", specialist="Анна")


def test_titles_and_queues(two: Templates) -> None:
    hello, everywhere = two.get("hello"), two.get("everywhere")
    assert hello is not None and everywhere is not None and two.get("nobody") is None
    assert (hello.title("en"), hello.title("de")) == ("Hello", "Привет")
    assert [t.key for t in two.for_queue("a")] == ["hello", "everywhere"]
    assert [t.key for t in two.for_queue("b")] == ["everywhere"]
    assert hello.placeholders("ru") == ("specialist", "number", "queue")


# --- the loader's one-line errors


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ("", "no [[template]] entries"),
        ("[[template]\n", "content error: templates.toml"),
        ("template = [1]\n", "template 1 is not a [[template]] table"),
        (GOOD.replace('"hello"', '"Привет"'), "template 1 needs a short key"),
        (GOOD.replace('"everywhere"', '"hello"'), "template key 'hello' is used twice"),
        (GOOD + "colour = 'red'\n", "template 'everywhere': unknown field 'colour'"),
        (TWO, "template 'everywhere': title_en is missing (every template is in ru and en)"),
        (GOOD.replace('text_en = "Text"\n', ""), "template 'everywhere': text_en is missing"),
        (GOOD.replace('text_ru = "Текст"', "text_ru = 1"), "text_ru is missing"),
        (GOOD.replace('"Везде"', '"' + "В" * 31 + '"'), "title_ru is longer than 30 characters"),
        (GOOD.replace('"Text"', '"' + "x" * 2001 + '"'), "text_en is longer than 2000 characters"),
        (GOOD.replace('["a"]', '["c"]'), "template 'hello': unknown queue 'c' (a key of"),
        (GOOD.replace('["a"]', '["a", 1]'), "template 'hello': unknown queue 1"),
        (GOOD.replace('["a"]', '"a"'), "template 'hello': queues needs a list of queue keys"),
        (GOOD.replace('["a"]', "[]"), "template 'hello': queues needs a list of queue keys"),
        (GOOD.replace('["a"]', '["all", "a"]'), "template 'hello': queues: \"all\" stands alone"),
        (GOOD.replace("{queue}", "{time}"),
         "template 'hello': text_ru: unknown placeholder {time} (use {specialist}, {number}, "
         "{queue})"),
        (GOOD.replace("No. {number}", "No. {nomer}"), "text_en: unknown placeholder {nomer}"),
        (GOOD.replace("{queue}", "{}"), "text_ru: unknown placeholder {}"),
        (GOOD.replace("{queue}", "{0}"), "text_ru: unknown placeholder {0}"),
        (GOOD.replace("{queue}", "{queue.name}"), "unknown placeholder {queue.name}"),
        (GOOD.replace("{queue}", "{number:>5}"), "unknown placeholder {number:>5}"),
        (GOOD.replace("{queue}", "{number!r}"), "unknown placeholder {number!r}"),
        (GOOD.replace("{queue}", "{queue"), "text_ru has a lone { or } (write {{ or }}"),
        (GOOD.replace("No. {number}", "No. number}"), "text_en has a lone { or }"),
    ],
)  # fmt: skip
def test_a_broken_file_stops_with_one_line(
    tmp_path: Path, queues_ab: Queues, toml: str, error: str
) -> None:
    path = tmp_path / "templates.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ContentError, match=re.escape(error)) as caught:
        load_templates(path, queues_ab)
    assert str(caught.value).startswith("content error: templates.toml: ")
    assert "\n" not in str(caught.value)
