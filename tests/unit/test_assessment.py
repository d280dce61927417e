"""The self-assessment: content/assessment.toml, its checks, its scoring and its catalogs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po

from bot.catalogs import catalog_path
from bot.i18n import LOCALES_DIR
from bot.services.assessment import (
    ASSESSMENT_FILE,
    Answer,
    Change,
    Domain,
    Level,
    Question,
    Questionnaire,
    Result,
    compare,
    load_assessment,
    score,
)
from bot.services.content import ContentError
from bot.services.red_flags import load_red_flags
from db.models import HelpKind

FLAG_NAMES = tuple(load_red_flags().flags)
SHIPPED = load_assessment(red_flag_names=FLAG_NAMES)

DOMAINS = [
    "housing", "income", "health", "safety", "substances", "support", "documents", "child_care",
]  # fmt: skip


def _strings(q: Questionnaire) -> list[str]:
    found = [d.name for d in q.domains]
    for question in q.questions:
        found.append(question.text)
        found.extend(a.text for a in question.answers)
    return found


# --- the shipped file ---------------------------------------------------------------------


def test_the_shipped_file_covers_every_domain() -> None:
    assert 12 <= len(SHIPPED) <= 15
    assert [d.key for d in SHIPPED.domains] == DOMAINS
    assert {q.domain for q in SHIPPED.questions} == set(DOMAINS)
    assert all(3 <= len(q.answers) <= 4 for q in SHIPPED.questions)
    assert all(set(d.help) <= {h.value for h in HelpKind} for d in SHIPPED.domains)
    # every question starts from an answer that means "fine"
    assert all(min(a.score for a in q.answers) == 0 for q in SHIPPED.questions)


def test_the_shipped_file_raises_every_red_flag_and_only_with_a_crisis_score() -> None:
    flagged = [a for q in SHIPPED.questions for a in q.answers if a.red_flag]
    assert {a.red_flag for a in flagged} == set(FLAG_NAMES)
    assert all(a.score >= 3 for a in flagged)


def test_the_questionnaire_finds_questions_and_domains_by_key() -> None:
    first = SHIPPED.questions[0]
    assert SHIPPED.question(first.key) is first
    assert SHIPPED.index(first.key) == 0
    assert SHIPPED.index(SHIPPED.questions[-1].key) == len(SHIPPED) - 1
    assert SHIPPED.domain("housing").name == "Housing"
    assert list(SHIPPED) == list(SHIPPED.questions)
    for lookup in (SHIPPED.question, SHIPPED.index, SHIPPED.domain):
        with pytest.raises(KeyError):
            lookup("no_such_key")


def test_the_shipped_file_in_real_situations() -> None:
    fine = {q.key: next(a.key for a in q.answers if a.score == 0) for q in SHIPPED.questions}
    assert score(SHIPPED, fine).level is Level.STEADY
    assert score(SHIPPED, fine).help == ()

    tonight = score(SHIPPED, {**fine, "home_now": "nowhere"})
    assert tonight.level is Level.CRISIS
    assert tonight.red_flags == ("no_shelter",)
    assert tonight.help[0] == "crisis_housing"

    tired = score(SHIPPED, {**fine, "coping": "tired", "helpers": "sometimes"})
    assert tired.levels["support"] is Level.STRAINED
    assert tired.level is Level.STRAINED
    assert tired.red_flags == ()
    assert tired.help[0] == "psychological"


# --- scoring ------------------------------------------------------------------------------


def _q(key: str, domain: str) -> Question:
    return Question(
        key,
        domain,
        f"Question {key}?",
        (
            Answer("ok", "Fine", 0),
            Answer("bit", "A little hard", 1),
            Answer("hard", "Hard", 2),
            Answer("worst", "Cannot wait", 3),
            Answer("flag", "Danger now", 0, "violence"),  # a red flag whatever its score
        ),
    )


Q = Questionnaire(
    domains=(
        Domain("a", "Area A", ("material", "legal")),
        Domain("b", "Area B", ("legal", "psychological")),
        Domain("c", "Area C", ("day_care",)),
    ),
    questions=(_q("a1", "a"), _q("a2", "a"), _q("b1", "b"), _q("c1", "c")),
)
S, T, C = Level.STEADY, Level.STRAINED, Level.CRISIS


@pytest.mark.parametrize(
    ("answers", "levels", "overall", "total", "flags", "kinds"),
    [
        # all fine
        ({"a1": "ok", "a2": "ok", "b1": "ok", "c1": "ok"}, {"a": S, "b": S, "c": S}, S, 0, (), ()),
        # a little hard once is steady; twice in one domain is strained
        ({"a1": "bit", "b1": "ok"}, {"a": S, "b": S}, S, 1, (), ()),
        ({"a1": "bit", "a2": "bit"}, {"a": T}, T, 2, (), ("material", "legal")),
        # one hard answer: strained
        ({"b1": "hard", "c1": "ok"}, {"b": T, "c": S}, T, 2, (), ("legal", "psychological")),
        # one answer that cannot wait puts its domain in crisis, and the family overall
        (
            {"a1": "ok", "a2": "worst", "c1": "bit"},
            {"a": C, "c": S},
            C,
            4,
            (),
            ("material", "legal"),
        ),
        # help: crisis domains first, then strained, each kind once
        (
            {"a1": "hard", "b1": "worst", "c1": "worst"},
            {"a": T, "b": C, "c": C},
            C,
            8,
            (),
            ("legal", "psychological", "day_care", "material"),
        ),
        # a red flag: crisis for its domain and overall, whatever the scores
        ({"c1": "flag", "a1": "ok"}, {"a": S, "c": C}, C, 0, ("violence",), ("day_care",)),
        ({"a1": "flag", "a2": "flag"}, {"a": C}, C, 0, ("violence",), ("material", "legal")),
        # skipped questions: their domains are not asked
        ({}, {}, S, 0, (), ()),
        ({"b1": "bit"}, {"b": S}, S, 1, (), ()),
        # unknown questions and answers are ignored, never a crash
        (
            {"zz": "worst", "a1": "nonsense", "b1": "hard"},
            {"b": T},
            T,
            2,
            (),
            ("legal", "psychological"),
        ),
    ],
)
def test_scoring(
    answers: dict[str, str],
    levels: dict[str, Level],
    overall: Level,
    total: int,
    flags: tuple[str, ...],
    kinds: tuple[str, ...],
) -> None:
    result = score(Q, answers)
    assert result.levels == levels
    assert list(result.levels) == [d for d in "abc" if d in levels]  # the file's order
    assert result.level is overall
    assert result.total == total
    assert result.red_flags == flags
    assert result.help == kinds
    known = {(q.key, a.key) for q in Q.questions for a in q.answers}
    assert result.answered == len(known.intersection(answers.items()))


def test_answers_from_storage_of_any_shape_do_not_crash() -> None:
    stored: dict[str, object] = {"a1": None, "a2": ["hard"], "b1": 3, "c1": {"x": 1}}
    result = score(Q, stored)  # type: ignore[arg-type]
    assert result.levels == {}
    assert result.answered == 0


def test_levels_rank_by_how_hard_not_by_name() -> None:
    assert [lv.rank for lv in (S, T, C)] == [0, 1, 2]
    assert [str(lv) for lv in Level] == ["steady", "strained", "crisis"]


# --- what changed since last time ----------------------------------------------------------


def test_compare_lists_the_domains_whose_level_changed() -> None:
    before = score(Q, {"a1": "worst", "b1": "hard", "c1": "ok"})
    after = score(Q, {"a1": "bit", "b1": "hard", "c1": "hard", "a2": "ok"})
    changes = compare(before, after)
    assert changes == [Change("a", C, S), Change("c", S, T)]
    assert changes[0].improved and not changes[0].worsened
    assert changes[1].worsened and not changes[1].improved


def test_compare_shows_domains_asked_only_once_as_none() -> None:
    before = score(Q, {"a1": "hard", "c1": "ok"})
    after = score(Q, {"b1": "ok", "c1": "ok"})
    changes = compare(before, after)
    assert changes == [Change("b", None, S), Change("a", T, None)]
    assert not any(c.improved or c.worsened for c in changes)
    assert compare(after, after) == []


# --- storing a result ---------------------------------------------------------------------


def test_a_result_survives_a_json_column() -> None:
    result = score(Q, {"a1": "hard", "b1": "worst", "c1": "flag"})
    stored = json.loads(json.dumps(result.to_json()))
    assert stored["level"] == "crisis"
    assert stored["levels"] == {"a": "strained", "b": "crisis", "c": "crisis"}
    restored = Result.from_json(stored)
    assert restored == result
    assert all(type(lv) is Level for lv in restored.levels.values())
    assert Result.from_json(score(Q, {}).to_json()) == score(Q, {})


@pytest.mark.parametrize(
    "data", [{}, {"levels": {}, "level": "calm"}, {**score(Q, {}).to_json(), "levels": [1]}]
)
def test_a_malformed_stored_result_is_a_value_error(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a stored assessment result"):
        Result.from_json(data)


# --- a broken file stops with one line ----------------------------------------------------

TEXT = ASSESSMENT_FILE.read_text(encoding="utf-8")
EXTRA = """
[[question]]
key = "extra{n}"
domain = "housing"
text = "One more?"
answers = [{{ key = "a", text = "A", score = 0 }}, {{ key = "b", text = "B", score = 1 }}]
"""


def _first_questions(n: int) -> str:
    head, *blocks = TEXT.split("\n[[question]]\n")
    return head + "".join("\n[[question]]\n" + b for b in blocks[:n])


def _edit(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "no [[domain]] entries"),
        ("[[question]\n", "assessment.toml: "),  # not TOML
        (_edit('key = "money"', 'key = "home_now"'), "question key 'home_now' is used twice"),
        (_edit('key = "income"', 'key = "housing"'), "domain key 'housing' is used twice"),
        (
            _edit('domain = "income"\ntext = "Is there', 'domain = "wealth"\ntext = "Is there'),
            "question 'money': unknown domain 'wealth'",
        ),
        (
            TEXT + '[[domain]]\nkey = "leisure"\nname = "Leisure"\nhelp = ["other"]\n',
            "domain 'leisure' has no questions",
        ),
        (
            _edit(
                '\n  { key = "supported", text = "Yes, and I have support", score = 0 },', ""
            ).replace(
                '\n  { key = "alone", text = "Yes, but I have no one to lean on", score = 2 },', ""
            ),
            "question 'pregnancy' needs 2 to 5 answers",
        ),
        (
            _edit('"A lot is missing"', '"A lot is missing, we cannot buy it at all"'),
            "question 'things': answer 'lot': text is 41 characters, at most 40",
        ),
        (_edit('"A lot is missing", score = 2', '"A lot is missing", score = -1'), "score must be"),
        (
            _edit('"A lot is missing", score = 2', '"A lot is missing", score = 1.5'),
            "score must be",
        ),
        (
            _edit('"A lot is missing", score = 2', '"A lot is missing", score = "2"'),
            "score must be",
        ),
        (_edit('red_flag = "no_shelter"', 'red_flag = "homeless"'), "unknown red_flag 'homeless'"),
        (_edit('red_flag = "violence"', 'redflag = "violence"'), "unknown field 'redflag'"),
        (
            _edit('help = ["legal"]', 'help = ["lawyer"]'),
            "domain 'documents': unknown help 'lawyer'",
        ),
        (_edit('help = ["legal"]', "help = []"), "domain 'documents' needs a help list"),
        (
            _edit('{ key = "tight"', '{ key = "enough"'),
            "question 'money': answer key 'enough' is used",
        ),
        (
            _edit('text = "Are you expecting a baby?"', 'text = ""'),
            "question 'pregnancy' needs a text",
        ),
        (_edit('key = "alcohol"', 'key = "alcohol use"'), "needs a short key"),
        (_first_questions(11), "11 questions, there should be 12 to 15"),
        (TEXT + EXTRA.format(n=1) + EXTRA.format(n=2), "16 questions, there should be 12 to 15"),
    ],
)
def test_a_broken_file_stops_with_one_line(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "assessment.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_assessment(path, red_flag_names=FLAG_NAMES)
    message = str(caught.value)
    assert message.startswith("content error: assessment.toml: ")
    assert error in message
    assert "\n" not in message


def test_red_flags_default_to_those_of_red_flags_toml(tmp_path: Path) -> None:
    assert load_assessment() == SHIPPED
    path = tmp_path / "assessment.toml"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(ContentError, match="answer 'self_harm': unknown red_flag 'self_harm'"):
        load_assessment(path, red_flag_names=[n for n in FLAG_NAMES if n != "self_harm"])


# --- the catalogs -------------------------------------------------------------------------


def test_the_extractor_finds_every_string_of_the_file() -> None:
    with ASSESSMENT_FILE.open("rb") as fh:
        found = [m for _line, m, _comments, _ctx in extract("bot.catalogs:extract_content", fh)]
    assert sorted(set(found)) == sorted(set(_strings(SHIPPED)))


def test_the_extractor_stops_make_i18n_on_a_broken_file() -> None:
    fileobj = io.BytesIO(b'[[domain]]\nkey = "x"\n')
    with pytest.raises(SystemExit, match=r"content error: .*domain 'x' needs a name"):
        list(extract("bot.catalogs:extract_content", fileobj))


def test_every_string_is_in_the_template_and_translated_to_russian() -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    with catalog_path("ru").open("rb") as fh:
        ru = read_po(fh, locale="ru")
    buttons = {a.text for q in SHIPPED.questions for a in q.answers}
    for text in _strings(SHIPPED):
        assert text in template, text
        message = ru.get(text)
        assert message is not None and message.string and not message.fuzzy, text
        if text in buttons:
            assert len(str(message.string)) <= 40, message.string
