"""Check-ins after help, with a moved clock: planned at the family's local hours, sent once,
never at night, "Worse" reopens the case; one reminder of a half-way draft."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.followups import remind_drafts
from db.base import set_clock
from db.models import DueWork, FollowUp, HelpRequest, RequestStatus, Role, WorkKind, WorkStatus
from tests.handlers.conftest import App
from tests.handlers.personas import legal_request, link, staff
from tests.helpers import onboard, until

MONDAY_10_IRKUTSK = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    now = [MONDAY_10_IRKUTSK]
    set_clock(lambda: now[0])
    yield now
    set_clock(None)


async def test_closing_as_helped_plans_check_ins_and_worse_reopens_the_case(
    app: App, clock: list[datetime]
) -> None:
    anna = app.emu.add_user(first_name="Анна", language_code="ru")
    await staff(app, anna, Role.SPECIALIST, "irk_family")
    group = app.emu.add_forum_group("Поддержка семьи", members=[anna])
    await link(app, "irk_family", group.id)
    parent = app.emu.add_user(language_code="en")
    await legal_request(parent, "We need help with documents")
    await until(lambda: group.topics, what="the topic")
    [thread] = group.topics
    card = await group.wait_message(thread_id=thread, predicate=lambda m: bool(m.buttons))
    await group.click(anna, card.buttons[0][0], message_id=card.message_id)  # Take
    await parent.wait_message("has taken your request")
    await parent.send("/settings")
    await parent.wait_message("What would you like to change")
    await parent.click("🙈 Turn discreet mode on")
    await parent.wait_message("Discreet mode is on")

    card = next(m for m in group.history if m.message_id == card.message_id)
    await group.click(anna, card.buttons[-1][0], message_id=card.message_id)  # Close
    outcome = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) == 5)
    await group.click(anna, outcome.buttons[0][0], message_id=outcome.message_id)  # helped
    child = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) == 4)
    await group.click(anna, child.buttons[0][0], message_id=child.message_id)
    await parent.wait_message("Did this help?")

    async with app.db.session() as session:
        planned = (await session.scalars(select(FollowUp).order_by(FollowUp.step))).all()
    # +3, +14 and +30 days, each at 11:00 in Irkutsk (03:00 UTC).
    assert [f.due_at for f in planned] == [
        datetime(2027, 3, 18, 3, 0, tzinfo=UTC),
        datetime(2027, 3, 29, 3, 0, tzinfo=UTC),
        datetime(2027, 4, 14, 3, 0, tzinfo=UTC),
    ]
    work = app.dp["work"]
    await work.drain(5)  # no tick of the routing still running: the ticks below are ours
    # The bot was down over the night: the first check-in falls due at 02:00 local ...
    clock[0] = datetime(2027, 3, 18, 18, 0, tzinfo=UTC)
    await work.tick()
    assert not [m for m in parent.history if "How are things now" in (m.text or "")]
    async with app.db.session() as session:
        item = await session.scalar(
            select(DueWork).where(DueWork.kind == WorkKind.CHECKIN).order_by(DueWork.due_at)
        )
    assert item is not None and item.due_at == datetime(2027, 3, 19, 1, 0, tzinfo=UTC)  # 09:00
    # ... and goes out in the morning, once, behind the neutral line of discreet mode.
    clock[0] = datetime(2027, 3, 19, 1, 0, tzinfo=UTC)
    await work.tick()
    await work.tick()
    asked = await parent.wait_message("How are things now")
    assert (asked.text or "").startswith("You have a new message")
    assert len([m for m in parent.history if "How are things now" in (m.text or "")]) == 1

    await parent.click("😟 Worse", message_id=asked.message_id)
    await parent.wait_message("is open again")
    await group.wait_message(thread_id=thread, contains="⚠️")  # in the team's language
    async with app.db.session() as session:
        request = await session.scalar(select(HelpRequest))
        left = (await session.scalars(select(FollowUp.status))).all()
    assert request is not None and request.status is RequestStatus.IN_PROGRESS
    assert request.reopened_count == 1 and request.priority.value == "high"
    assert sorted(left) == sorted([WorkStatus.DONE, WorkStatus.CANCELLED, WorkStatus.CANCELLED])


async def test_a_half_way_request_is_reminded_of_once_and_never_at_night(
    app: App, clock: list[datetime]
) -> None:
    parent = app.emu.add_user(language_code="en")
    await onboard(parent)  # Irkutsk Oblast
    await parent.send("/request")
    await parent.wait_message("What kind of help")
    await parent.click("🧸 Baby things on loan («Мой малыш»)")
    await parent.wait_message("in your own words")
    remind = (app.db, app.bot, app.dp["i18n"], app.settings, app.dp["checkin_plans"])

    clock[0] += timedelta(hours=12)  # 22:00 in Irkutsk, and not yet a day
    assert await remind_drafts(*remind) == 0
    clock[0] += timedelta(hours=28)  # 02:00 local, a day and a half later: but night
    assert await remind_drafts(*remind) == 0
    clock[0] += timedelta(hours=8)  # 10:00 local
    assert await remind_drafts(*remind) == 1
    assert await remind_drafts(*remind) == 0  # once, never again for this draft
    nudge = await parent.wait_message("did not finish it")
    await parent.click("Continue", message_id=nudge.message_id)
    await parent.wait_message("in your own words")  # just where she stopped
