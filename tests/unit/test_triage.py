"""Triage: the priority of a request and the reasons listed for it, rule by rule and in
combination."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services.queues import Priority
from bot.services.triage import RULES, Reason, ReasonCode, triage
from db.models import HelpKind, Urgency

R = ReasonCode
CALM: dict[str, Any] = {
    "red_flags": (),
    "assessment_flags": (),
    "urgency": Urgency.NORMAL,
    "category": HelpKind.RENTAL,
    "recent_requests": 0,
    "assessment_level": None,
}


@pytest.mark.parametrize(
    ("given", "priority", "reasons"),
    [
        # nothing fires: normal, and no reasons
        ({}, Priority.NORMAL, []),
        ({"assessment_level": "steady"}, Priority.NORMAL, []),
        ({"assessment_level": "strained"}, Priority.NORMAL, []),
        ({"category": HelpKind.LEGAL}, Priority.NORMAL, []),
        # one rule each
        ({"red_flags": ["violence"]}, Priority.URGENT, [(R.RED_FLAG_TEXT, "violence")]),
        ({"assessment_flags": ["no_shelter"]}, Priority.URGENT,
         [(R.RED_FLAG_ASSESSMENT, "no_shelter")]),
        ({"urgency": Urgency.EMERGENCY}, Priority.URGENT, [(R.PARENT_SAYS_NOW, "emergency")]),
        ({"urgency": Urgency.HIGH}, Priority.HIGH, [(R.PARENT_SAYS_SOON, "high")]),
        ({"category": HelpKind.CRISIS_HOUSING}, Priority.HIGH,
         [(R.CATEGORY, "crisis_housing")]),
        ({"category": HelpKind.PREGNANCY}, Priority.HIGH, [(R.CATEGORY, "pregnancy")]),
        ({"assessment_level": "crisis"}, Priority.HIGH, [(R.ASSESSMENT_CRISIS, "crisis")]),
        ({"recent_requests": 1}, Priority.HIGH, [(R.REPEAT_CONTACT, "1")]),
        ({"recent_requests": 3}, Priority.HIGH, [(R.REPEAT_CONTACT, "3")]),
        # several flags: one reason each, repeats once
        ({"red_flags": ["violence", "self_harm", "violence"]}, Priority.URGENT,
         [(R.RED_FLAG_TEXT, "violence"), (R.RED_FLAG_TEXT, "self_harm")]),
        # the same flag in the words and in the assessment: both sources are listed
        ({"red_flags": ["giving_up_child"], "assessment_flags": ["giving_up_child"]},
         Priority.URGENT,
         [(R.RED_FLAG_TEXT, "giving_up_child"), (R.RED_FLAG_ASSESSMENT, "giving_up_child")]),
        # combinations: the strongest wins, and every rule that fired is listed, urgent first
        ({"urgency": Urgency.HIGH, "red_flags": ["no_shelter"],
          "category": HelpKind.CRISIS_HOUSING},
         Priority.URGENT,
         [(R.RED_FLAG_TEXT, "no_shelter"), (R.PARENT_SAYS_SOON, "high"),
          (R.CATEGORY, "crisis_housing")]),
        ({"urgency": Urgency.EMERGENCY, "recent_requests": 2, "assessment_level": "crisis"},
         Priority.URGENT,
         [(R.PARENT_SAYS_NOW, "emergency"), (R.ASSESSMENT_CRISIS, "crisis"),
          (R.REPEAT_CONTACT, "2")]),
        ({"category": HelpKind.PREGNANCY, "assessment_level": "crisis", "recent_requests": 1},
         Priority.HIGH,
         [(R.CATEGORY, "pregnancy"), (R.ASSESSMENT_CRISIS, "crisis"), (R.REPEAT_CONTACT, "1")]),
        # a repeat contact raises normal to high, and is listed beside a stronger reason too
        ({"urgency": Urgency.HIGH, "recent_requests": 1}, Priority.HIGH,
         [(R.PARENT_SAYS_SOON, "high"), (R.REPEAT_CONTACT, "1")]),
        # everything at once
        ({"red_flags": ["violence"], "assessment_flags": ["child_unattended"],
          "urgency": Urgency.EMERGENCY, "category": HelpKind.CRISIS_HOUSING,
          "recent_requests": 5, "assessment_level": "crisis"},
         Priority.URGENT,
         [(R.RED_FLAG_TEXT, "violence"), (R.RED_FLAG_ASSESSMENT, "child_unattended"),
          (R.PARENT_SAYS_NOW, "emergency"), (R.CATEGORY, "crisis_housing"),
          (R.ASSESSMENT_CRISIS, "crisis"), (R.REPEAT_CONTACT, "5")]),
        # values as stored (plain strings) work too
        ({"urgency": "emergency", "category": "pregnancy"}, Priority.URGENT,
         [(R.PARENT_SAYS_NOW, "emergency"), (R.CATEGORY, "pregnancy")]),
    ],
)  # fmt: skip
def test_triage(
    given: dict[str, Any], priority: Priority, reasons: list[tuple[ReasonCode, str]]
) -> None:
    result = triage(**(CALM | given))
    assert result.priority is priority
    assert [(r.code, r.detail) for r in result.reasons] == reasons
    assert result.codes == tuple(code for code, _ in reasons)
    # the reasons come strongest first, and the strongest is the priority
    ranks = [r.priority.rank for r in result.reasons]
    assert ranks == sorted(ranks, reverse=True)
    assert not result.reasons or result.reasons[0].priority is priority


def test_a_reason_carries_the_priority_its_rule_asks_for() -> None:
    result = triage(**(CALM | {"urgency": Urgency.HIGH, "red_flags": ["violence"]}))
    assert result.reasons == (
        Reason(R.RED_FLAG_TEXT, "violence", Priority.URGENT),
        Reason(R.PARENT_SAYS_SOON, "high", Priority.HIGH),
    )


def test_the_rules_table_is_strongest_first_and_names_every_code_once() -> None:
    assert [code for code, _, _ in RULES] == list(ReasonCode)
    ranks = [priority.rank for _, priority, _ in RULES]
    assert ranks == sorted(ranks, reverse=True)
    assert all(priority is not Priority.NORMAL for _, priority, _ in RULES)
