"""Triage: the priority of a new help request, and the reasons for it.

Every rule below that fires raises the priority to at least its level; the priority is the
highest of them, NORMAL when none fires. Each rule that fired is listed as a `Reason`,
strongest first (urgent rules, then high ones, each group in the order of the table), so a
specialist can see and explain why a request is urgent.

| rule                                                          | reason code         | at least |
|---------------------------------------------------------------|---------------------|----------|
| a red flag in what the family wrote (one reason per flag)     | RED_FLAG_TEXT       | URGENT   |
| a red flag in a self-assessment answer (one per flag)         | RED_FLAG_ASSESSMENT | URGENT   |
| the parent says it cannot wait (urgency EMERGENCY)            | PARENT_SAYS_NOW     | URGENT   |
| the parent says it is urgent (urgency HIGH)                   | PARENT_SAYS_SOON    | HIGH     |
| the kind of help is crisis housing or pregnancy               | CATEGORY            | HIGH     |
| the attached self-assessment's overall level is crisis        | ASSESSMENT_CRISIS   | HIGH     |
| a repeat contact: another request in the last 30 days         | REPEAT_CONTACT      | HIGH     |

Triage never lowers what the parent said, and it judges the situation, never the family.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.services.assessment import Level
from db.models import HelpKind, Priority, Urgency

REPEAT_WINDOW = timedelta(days=30)  # the caller counts the family's requests in this window
HIGH_CATEGORIES = (HelpKind.CRISIS_HOUSING, HelpKind.PREGNANCY)


class ReasonCode(StrEnum):
    RED_FLAG_TEXT = "red_flag_text"
    RED_FLAG_ASSESSMENT = "red_flag_assessment"
    PARENT_SAYS_NOW = "parent_says_now"
    PARENT_SAYS_SOON = "parent_says_soon"
    CATEGORY = "category"
    ASSESSMENT_CRISIS = "assessment_crisis"
    REPEAT_CONTACT = "repeat_contact"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    detail: str  # the flag's name, the category, the urgency, the level, or the count
    priority: Priority  # what this rule alone asks for


@dataclass(frozen=True)
class Triage:
    priority: Priority
    reasons: tuple[Reason, ...]  # every rule that fired, strongest first; () for NORMAL

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True)
class _Facts:
    red_flags: tuple[str, ...]
    assessment_flags: tuple[str, ...]
    urgency: Urgency
    category: HelpKind
    recent_requests: int
    assessment_level: str | None


# The rules, strongest first: (code, the priority it asks for, the details it fires with —
# none when it does not fire).
RULES: tuple[tuple[ReasonCode, Priority, Callable[[_Facts], Sequence[str]]], ...] = (
    (ReasonCode.RED_FLAG_TEXT, Priority.URGENT, lambda f: f.red_flags),
    (ReasonCode.RED_FLAG_ASSESSMENT, Priority.URGENT, lambda f: f.assessment_flags),
    (
        ReasonCode.PARENT_SAYS_NOW,
        Priority.URGENT,
        lambda f: [f.urgency.value] if f.urgency is Urgency.EMERGENCY else [],
    ),
    (
        ReasonCode.PARENT_SAYS_SOON,
        Priority.HIGH,
        lambda f: [f.urgency.value] if f.urgency is Urgency.HIGH else [],
    ),
    (
        ReasonCode.CATEGORY,
        Priority.HIGH,
        lambda f: [f.category.value] if f.category in HIGH_CATEGORIES else [],
    ),
    (
        ReasonCode.ASSESSMENT_CRISIS,
        Priority.HIGH,
        lambda f: [Level.CRISIS.value] if f.assessment_level == Level.CRISIS else [],
    ),
    (
        ReasonCode.REPEAT_CONTACT,
        Priority.HIGH,
        lambda f: [str(f.recent_requests)] if f.recent_requests >= 1 else [],
    ),
)


def triage(
    *,
    red_flags: Sequence[str],
    assessment_flags: Sequence[str],
    urgency: Urgency,
    category: HelpKind,
    recent_requests: int,
    assessment_level: str | None,
) -> Triage:
    """The priority of a request and why. `red_flags` were found in the family's words,
    `assessment_flags` in the attached self-assessment's answers, `urgency` is what the
    parent chose, `recent_requests` counts the family's other requests of the last
    `REPEAT_WINDOW`, and `assessment_level` is the attached assessment's overall level."""
    facts = _Facts(
        red_flags=tuple(dict.fromkeys(red_flags)),
        assessment_flags=tuple(dict.fromkeys(assessment_flags)),
        urgency=Urgency(urgency),
        category=HelpKind(category),
        recent_requests=recent_requests,
        assessment_level=assessment_level,
    )
    fired = [
        Reason(code, detail, priority)
        for code, priority, details in RULES
        for detail in details(facts)
    ]
    reasons = tuple(sorted(fired, key=lambda r: -r.priority.rank))  # stable: table order
    return Triage(reasons[0].priority if reasons else Priority.NORMAL, reasons)
