"""The self-assessment as a family takes it: progress kept in a draft (so a pause, the menu
or a restart loses nothing), and the finished result stored and compared with the last one.
Scoring itself is `bot/services/assessment.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.assessment import Questionnaire, Result, score
from bot.services.people import audit_own
from db.models import Assessment, DraftKind, Person
from db.repositories import AssessmentsRepo, DraftsRepo


@dataclass
class Progress:
    index: int = 0  # the question being asked, 0-based
    answers: dict[str, str] = field(default_factory=dict)  # question key -> answer key

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "answers": dict(self.answers)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progress:
        answers = data.get("answers")
        return cls(
            index=max(0, int(data.get("index") or 0)),
            answers={str(k): str(v) for k, v in answers.items()}
            if isinstance(answers, dict)
            else {},
        )


@dataclass(frozen=True)
class Outcome:
    assessment_id: int
    result: Result
    previous: Result | None  # the family's last result before this one


async def progress(session: AsyncSession, person: Person) -> Progress | None:
    data = await DraftsRepo(session).get(person.id, DraftKind.ASSESSMENT)
    return Progress.from_json(data) if data is not None else None


async def save(session: AsyncSession, person: Person, state: Progress) -> None:
    await DraftsRepo(session).put(person.id, DraftKind.ASSESSMENT, state.to_json())


async def drop(session: AsyncSession, person: Person) -> None:
    await DraftsRepo(session).drop(person.id, DraftKind.ASSESSMENT)


def answer(questionnaire: Questionnaire, state: Progress, answer_index: int) -> str | None:
    """Record the answer to the current question and move on; the red flag it raises."""
    question = questionnaire.questions[state.index]
    chosen = question.answers[answer_index]
    state.answers[question.key] = chosen.key
    state.index += 1
    return chosen.red_flag


async def finish(
    session: AsyncSession, person: Person, questionnaire: Questionnaire, state: Progress
) -> Outcome:
    repo = AssessmentsRepo(session)
    last = await repo.latest(person.id)
    previous = _result_of(last)
    result = score(questionnaire, state.answers)
    row = await repo.add(
        Assessment(
            person_id=person.id,
            answers=dict(state.answers),
            score=result.total,
            level=result.level.value,
            red_flags=list(result.red_flags),
            result=result.to_json(),
        )
    )
    await drop(session, person)
    audit_own(session, person, "assessment.finish", {"assessment": row.id})
    return Outcome(row.id, result, previous)


def _result_of(row: Assessment | None) -> Result | None:
    if row is None or not row.result:
        return None
    try:
        return Result.from_json(row.result)
    except ValueError:  # written by an older version of the questions: nothing to compare
        return None
