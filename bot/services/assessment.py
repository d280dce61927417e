"""The self-assessment: its questions (`content/assessment.toml`) and how answers are scored.

The questions, answers and life areas ("domains") are English text in the data file,
translated through the gettext catalogs (`bot.catalogs.extract_content` puts them there);
the caller translates `text` and `name` for the person's language. The file is checked once
at start-up: a mistake stops the bot with one line, `content error: assessment.toml: …`.

Scoring, the rule a specialist can explain to a family:

- every answer has a score: 0 fine, 1 a little hard, 2 hard, 3 cannot wait;
- a domain is **crisis** when one of its answers scores 3 or more (`CRISIS_SCORE`) or
  carries a red flag; **strained** when its answers add up to 2 or more (`STRAINED_TOTAL`:
  one hard answer, or two that are a little hard); **steady** otherwise. A domain none of
  whose questions was answered has no level ("not asked");
- the overall level is the hardest level of any domain, and any red flag makes it crisis;
- the help that fits is the `help` of the domains in crisis, then of those strained, in the
  file's order, each kind once.

Levels describe how much support the family may need now, never a judgement of the family.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.services.content import CONTENT_DIR, ContentError, read_toml
from db.models import HelpKind

ASSESSMENT_FILE = CONTENT_DIR / "assessment.toml"

MIN_QUESTIONS, MAX_QUESTIONS = 12, 15
MIN_ANSWERS, MAX_ANSWERS = 2, 5
MAX_LABEL = 40  # an answer is a button on a phone
CRISIS_SCORE = 3  # one answer this hard puts its domain in crisis
STRAINED_TOTAL = 2  # a domain's answers adding up to this much make it strained


class Level(StrEnum):
    STEADY = "steady"
    STRAINED = "strained"
    CRISIS = "crisis"

    @property
    def rank(self) -> int:
        """0 steady, 1 strained, 2 crisis: for comparing levels."""
        return _RANKS[self]


_RANKS = {Level.STEADY: 0, Level.STRAINED: 1, Level.CRISIS: 2}


@dataclass(frozen=True)
class Answer:
    key: str
    text: str  # English msgid: a button label, at most MAX_LABEL characters
    score: int
    red_flag: str | None = None


@dataclass(frozen=True)
class Question:
    key: str
    domain: str
    text: str  # English msgid
    answers: tuple[Answer, ...]

    def answer(self, key: object) -> Answer | None:
        return next((a for a in self.answers if a.key == key), None)


@dataclass(frozen=True)
class Domain:
    key: str
    name: str  # English msgid
    help: tuple[str, ...]  # HelpKind values, most fitting first


@dataclass(frozen=True)
class Questionnaire:
    domains: tuple[Domain, ...]
    questions: tuple[Question, ...]  # in the order they are asked

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def question(self, key: str) -> Question:
        """The question with this key; KeyError for an unknown one."""
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    def index(self, key: str) -> int:
        """The question's place in the order asked (0-based); KeyError for an unknown one."""
        for n, question in enumerate(self.questions):
            if question.key == key:
                return n
        raise KeyError(key)

    def domain(self, key: str) -> Domain:
        """The domain with this key; KeyError for an unknown one."""
        for domain in self.domains:
            if domain.key == key:
                return domain
        raise KeyError(key)


@dataclass(frozen=True)
class Result:
    levels: dict[str, Level]  # by domain key, in the file's order; only domains answered
    level: Level  # overall; steady when nothing was answered (see `answered`)
    total: int  # the sum of the scores of the answers given
    red_flags: tuple[str, ...]  # raised by the answers, in question order, each once
    help: tuple[str, ...]  # HelpKind values that fit, crisis domains first, each once
    answered: int  # how many questions were answered

    def to_json(self) -> dict[str, Any]:
        return {
            "levels": {domain: str(level) for domain, level in self.levels.items()},
            "level": str(self.level),
            "total": self.total,
            "red_flags": list(self.red_flags),
            "help": list(self.help),
            "answered": self.answered,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """A result stored with `to_json`; ValueError if it is not one."""
        try:
            return cls(
                levels={str(k): Level(v) for k, v in dict(data["levels"]).items()},
                level=Level(data["level"]),
                total=int(data["total"]),
                red_flags=tuple(str(f) for f in data["red_flags"]),
                help=tuple(str(h) for h in data["help"]),
                answered=int(data["answered"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a stored assessment result: {exc!r}") from None


@dataclass(frozen=True)
class Change:
    domain: str
    before: Level | None  # None: not asked then
    after: Level | None  # None: not asked now

    @property
    def improved(self) -> bool:
        return self._step() < 0

    @property
    def worsened(self) -> bool:
        return self._step() > 0

    def _step(self) -> int:
        if self.before is None or self.after is None:
            return 0
        return self.after.rank - self.before.rank


def score(questionnaire: Questionnaire, answers: Mapping[str, str]) -> Result:
    """Scores the answers given (question key → answer key). A skipped question is simply
    absent; keys the questionnaire does not know (an old question, a forged answer) are
    ignored."""
    scores: dict[str, list[int]] = {}
    flagged: set[str] = set()
    red_flags: list[str] = []
    for question in questionnaire.questions:
        answer = question.answer(answers.get(question.key))
        if answer is None:
            continue
        scores.setdefault(question.domain, []).append(answer.score)
        if answer.red_flag is not None:
            flagged.add(question.domain)
            if answer.red_flag not in red_flags:
                red_flags.append(answer.red_flag)
    levels: dict[str, Level] = {}
    for domain in questionnaire.domains:
        given = scores.get(domain.key)
        if given is None:
            continue
        if domain.key in flagged or max(given) >= CRISIS_SCORE:
            levels[domain.key] = Level.CRISIS
        elif sum(given) >= STRAINED_TOTAL:
            levels[domain.key] = Level.STRAINED
        else:
            levels[domain.key] = Level.STEADY
    overall = max(levels.values(), key=lambda lv: lv.rank, default=Level.STEADY)
    if red_flags:
        overall = Level.CRISIS
    help_kinds: list[str] = []
    for wanted in (Level.CRISIS, Level.STRAINED):
        for domain in questionnaire.domains:
            if levels.get(domain.key) is wanted:
                help_kinds.extend(h for h in domain.help if h not in help_kinds)
    return Result(
        levels=levels,
        level=overall,
        total=sum(sum(s) for s in scores.values()),
        red_flags=tuple(red_flags),
        help=tuple(help_kinds),
        answered=sum(len(s) for s in scores.values()),
    )


def compare(previous: Result, current: Result) -> list[Change]:
    """What changed since last time: each domain whose level differs, in the current
    result's order, then the domains only asked before. A domain asked only once has None
    on the other side; the caller decides whether "not asked" is worth showing."""
    keys = [*current.levels, *(k for k in previous.levels if k not in current.levels)]
    changes = []
    for key in keys:
        before, after = previous.levels.get(key), current.levels.get(key)
        if before != after:
            changes.append(Change(key, before, after))
    return changes


def load_assessment(
    path: Path = ASSESSMENT_FILE, red_flag_names: Iterable[str] | None = None
) -> Questionnaire:
    """The questionnaire, checked. `red_flag_names` are the flags an answer may raise (those
    of red_flags.toml when not given)."""
    return parse_assessment(read_toml(path), path.name, red_flag_names)


def parse_assessment(
    data: Mapping[str, Any],
    where: str = ASSESSMENT_FILE.name,
    red_flag_names: Iterable[str] | None = None,
) -> Questionnaire:
    """Checks the file's parsed TOML (`where` names it in errors); see `load_assessment`."""
    if red_flag_names is None:
        from bot.services.red_flags import load_red_flags

        red_flag_names = load_red_flags().flags
    return _Parser(where, frozenset(red_flag_names)).parse(data)


_HELP_KINDS = frozenset(h.value for h in HelpKind)


class _Parser:
    def __init__(self, where: str, red_flag_names: frozenset[str]) -> None:
        self.where = where
        self.red_flag_names = red_flag_names

    def fail(self, message: str) -> ContentError:
        return ContentError(f"content error: {self.where}: {message}")

    def parse(self, data: Mapping[str, Any]) -> Questionnaire:
        self.fields(data, "the file", {"domain", "question"})
        domains = tuple(self.domain(n, e) for n, e in enumerate(self.tables(data, "domain"), 1))
        known = [d.key for d in domains]
        self.unique(known, "domain")
        questions = tuple(
            self.question(n, e, known) for n, e in enumerate(self.tables(data, "question"), 1)
        )
        self.unique([q.key for q in questions], "question")
        if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
            raise self.fail(
                f"{len(questions)} questions, there should be {MIN_QUESTIONS} to {MAX_QUESTIONS}"
            )
        for domain in domains:
            if not any(q.domain == domain.key for q in questions):
                raise self.fail(f"domain {domain.key!r} has no questions")
        return Questionnaire(domains, questions)

    def tables(self, data: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
        entries = data.get(name)
        if not isinstance(entries, list) or not entries:
            raise self.fail(f"no [[{name}]] entries")
        if not all(isinstance(e, dict) for e in entries):
            raise self.fail(f"every {name} must be a [[{name}]] table")
        return entries

    def fields(self, entry: Mapping[str, Any], what: str, allowed: set[str]) -> None:
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise self.fail(f"{what}: unknown field {unknown[0]!r}")

    def unique(self, keys: list[str], what: str) -> None:
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                raise self.fail(f"{what} key {key!r} is used twice")
            seen.add(key)

    def key(self, entry: Mapping[str, Any], what: str) -> str:
        key = entry.get("key")
        if not isinstance(key, str) or not key.isidentifier() or not key.isascii() or len(key) > 24:
            raise self.fail(f"{what} needs a short key (a-z, 0-9, _)")
        return key

    def text(self, entry: Mapping[str, Any], field: str, what: str) -> str:
        text = entry.get(field)
        if not isinstance(text, str) or not text.strip():
            raise self.fail(f"{what} needs a {field}")
        if text != text.strip() or "\n" in text:
            raise self.fail(f"{what}: {field} must be one line without spaces around it")
        return text

    def domain(self, n: int, entry: Mapping[str, Any]) -> Domain:
        self.fields(entry, f"domain {n}", {"key", "name", "help"})
        key = self.key(entry, f"domain {n}")
        name = self.text(entry, "name", f"domain {key!r}")
        kinds = entry.get("help")
        if not isinstance(kinds, list) or not kinds:
            raise self.fail(f"domain {key!r} needs a help list")
        for kind in kinds:
            if kind not in _HELP_KINDS:
                raise self.fail(
                    f"domain {key!r}: unknown help {kind!r} "
                    f"(one of: {', '.join(h.value for h in HelpKind)})"
                )
        self.unique(list(kinds), f"domain {key!r}: help")
        return Domain(key, name, tuple(kinds))

    def question(self, n: int, entry: Mapping[str, Any], domains: list[str]) -> Question:
        self.fields(entry, f"question {n}", {"key", "domain", "text", "answers"})
        key = self.key(entry, f"question {n}")
        what = f"question {key!r}"
        domain = entry.get("domain")
        if domain not in domains:
            raise self.fail(f"{what}: unknown domain {domain!r}")
        text = self.text(entry, "text", what)
        raw = entry.get("answers")
        if not isinstance(raw, list) or not MIN_ANSWERS <= len(raw) <= MAX_ANSWERS:
            raise self.fail(f"{what} needs {MIN_ANSWERS} to {MAX_ANSWERS} answers")
        answers = tuple(self.answer(m, a, what) for m, a in enumerate(raw, 1))
        self.unique([a.key for a in answers], f"{what}: answer")
        return Question(key, str(domain), text, answers)

    def answer(self, n: int, entry: object, question: str) -> Answer:
        what = f"{question}: answer {n}"
        if not isinstance(entry, dict):
            raise self.fail(f"{what} must be a table {{ key = …, text = …, score = … }}")
        self.fields(entry, what, {"key", "text", "score", "red_flag"})
        key = self.key(entry, what)
        what = f"{question}: answer {key!r}"
        text = self.text(entry, "text", what)
        if len(text) > MAX_LABEL:
            raise self.fail(f"{what}: text is {len(text)} characters, at most {MAX_LABEL}")
        points = entry.get("score")
        if not isinstance(points, int) or isinstance(points, bool) or points < 0:
            raise self.fail(f"{what}: score must be a whole number, 0 or more")
        flag = entry.get("red_flag")
        if flag is not None and flag not in self.red_flag_names:
            raise self.fail(
                f"{what}: unknown red_flag {flag!r} "
                f"(one of: {', '.join(sorted(self.red_flag_names))})"
            )
        return Answer(key, text, points, flag)
