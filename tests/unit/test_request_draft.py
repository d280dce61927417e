"""The help request's draft: limits that refuse without losing what was there, urgency,
completeness, and a JSON round trip that survives bad stored values."""

from __future__ import annotations

import pytest

from bot.services.requests import (
    MAX_FILES,
    MAX_STORY,
    MAX_VOICES,
    RequestDraft,
    StoryTooLong,
    TooManyFiles,
)
from db.models import ContactMethod, ContactTime, HelpKind, Urgency


def test_story_parts_join_and_an_overlong_part_leaves_the_story_as_it_was() -> None:
    draft = RequestDraft()
    draft.add_text("  first part ")
    draft.add_text("second part")
    assert draft.story == "first part\n\nsecond part"
    with pytest.raises(StoryTooLong) as refused:
        draft.add_text("x" * MAX_STORY)
    assert refused.value.total == len("first part\n\nsecond part") + 2 + MAX_STORY
    assert draft.story == "first part\n\nsecond part"


@pytest.mark.parametrize(
    ("kind", "limit"), [("photo", MAX_FILES), ("document", MAX_FILES), ("voice", MAX_VOICES)]
)
def test_files_stop_at_their_limit(kind: str, limit: int) -> None:
    draft = RequestDraft()
    for n in range(limit):
        draft.add_file(kind, f"file{n}", message_id=n)
    with pytest.raises(TooManyFiles):
        draft.add_file(kind, "one more", message_id=99)
    assert len(draft.files) == limit


def test_voices_do_not_use_up_the_places_of_photos_and_a_redelivery_is_not_added_twice() -> None:
    draft = RequestDraft()
    for n in range(MAX_VOICES):
        draft.add_file("voice", f"v{n}", message_id=n)
    draft.add_file("photo", "p", message_id=10)
    draft.add_file("photo", "p", message_id=10)
    assert (draft.count("voice"), draft.count("photo")) == (MAX_VOICES, 1)


@pytest.mark.parametrize(
    ("answer", "flags", "expected"),
    [
        (None, [], Urgency.NORMAL),
        (Urgency.HIGH, [], Urgency.HIGH),
        (Urgency.NORMAL, ["violence"], Urgency.EMERGENCY),
        (Urgency.EMERGENCY, [], Urgency.EMERGENCY),
    ],
)
def test_a_red_flag_makes_a_request_urgent(
    answer: Urgency | None, flags: list[str], expected: Urgency
) -> None:
    draft = RequestDraft(urgency=answer)
    draft.raise_flags(flags)
    draft.raise_flags(flags)  # raised twice, kept once
    assert draft.urgency_now is expected and draft.red_flags == flags


@pytest.mark.parametrize(
    ("contact", "time", "complete"),
    [
        (ContactMethod.CHAT, None, True),
        (ContactMethod.CALL, None, False),
        (ContactMethod.CALL, ContactTime.EVENING, True),
        (ContactMethod.VISIT, None, False),
        (None, None, False),
    ],
)
def test_complete_needs_a_time_only_for_a_call_or_a_visit(
    contact: ContactMethod | None, time: ContactTime | None, complete: bool
) -> None:
    draft = RequestDraft(
        category=HelpKind.LEGAL, urgency=Urgency.NORMAL, contact=contact, time=time
    )
    assert draft.complete is complete


def test_json_round_trip_and_unknown_stored_values_are_dropped() -> None:
    draft = RequestDraft(category=HelpKind.RENTAL, story="pram", urgency=Urgency.HIGH)
    draft.add_file("photo", "f", message_id=3)
    assert RequestDraft.from_json(draft.to_json()) == draft
    odd = RequestDraft.from_json({"category": "no_such_kind", "urgency": 7, "files": []})
    assert odd.category is None and odd.urgency is None
