"""The queues when things are not as they should be: a group without topics, a button pressed
by someone without the role, a parent trying staff commands, a request out of hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from db.base import set_clock
from db.models import DueWork, HelpRequest, Person, RequestStatus, Role, WorkKind, WorkStatus
from db.repositories import QueueLinksRepo
from tests.handlers.conftest import App
from tests.handlers.personas import legal_request, link, staff
from tests.helpers import onboard, until


async def test_a_group_without_topics_works_cases_by_replies(app: App) -> None:
    anna = app.emu.add_user(first_name="Анна", language_code="ru")
    await staff(app, anna, Role.SPECIALIST, "irk_family")
    group = app.emu.add_group("Поддержка семьи", members=[anna], supergroup=True)
    await link(app, "irk_family", group.id, forum=False)
    parent = app.emu.add_user(language_code="en")
    await legal_request(parent, "They refused us the child benefit <b>twice</b>")

    card = await group.wait_message(predicate=lambda m: bool(m.buttons))
    assert card.thread_id is None and group.topics == {}
    assert "<b>twice</b>" in (card.text or "")  # the family's words, escaped, not markup
    await group.click(anna, card.buttons[0][0], message_id=card.message_id)
    await parent.wait_message("has taken your request")
    await group.send(anna, "Пришлите, пожалуйста, фото отказа.", reply_to=card.message_id)
    await parent.wait_message("фото отказа")
    await parent.send("Here it is, thank you")
    under = await group.wait_message(contains="Here it is")
    assert under.raw.get("reply_to_message", {}).get("message_id") == card.message_id


async def test_buttons_and_commands_refuse_anyone_without_the_role(app: App) -> None:
    anna = app.emu.add_user(first_name="Анна", language_code="ru")
    stranger = app.emu.add_user(first_name="Пётр", language_code="ru")
    await staff(app, anna, Role.SPECIALIST, "irk_family")
    await staff(app, stranger, Role.SPECIALIST, "alt_family")  # another queue
    group = app.emu.add_forum_group("Поддержка семьи", members=[anna, stranger])
    await link(app, "irk_family", group.id, forum=True)
    parent = app.emu.add_user(language_code="en")
    await legal_request(parent, "We need help with documents")
    await until(lambda: group.topics, what="the topic")
    [thread] = group.topics
    card = await group.wait_message(thread_id=thread, predicate=lambda m: bool(m.buttons))

    refused = await group.click(stranger, card.buttons[0][0], message_id=card.message_id)
    answer = await group.wait_callback_answer(refused)
    assert answer["show_alert"]
    forged = await group.click_data(stranger, card.message_id, "case:take:999")
    assert (await group.wait_callback_answer(forged))["text"]
    async with app.db.session() as session:
        request = await session.scalar(select(HelpRequest))
    assert request is not None and request.status is RequestStatus.NEW and not request.assignee_id

    for command in ("/queues", "/duty", "/staff", "/invite specialist irk_family"):
        await parent.send(command)
        await parent.wait_message(
            predicate=lambda m: "staff" in (m.text or "") or "administrator" in (m.text or "")
        )
    forged_in_private = await parent.click_data(
        parent.last_bot_message.message_id,  # type: ignore[union-attr]
        f"case:take:{request.id}",
    )
    assert "out of date" in (await parent.wait_callback_answer(forged_in_private))["text"]
    async with app.db.session() as session:
        request = await session.scalar(select(HelpRequest))
    assert request is not None and request.assignee_id is None


@pytest.fixture
def sunday_night() -> Iterator[None]:
    """Sunday 14 March 2027, 03:00 in Irkutsk (UTC+8): the family queue is closed."""
    set_clock(lambda: datetime(2027, 3, 13, 19, 0, tzinfo=UTC))
    yield
    set_clock(None)


async def test_out_of_hours_the_family_is_told_when_the_team_is_back(
    app: App, sunday_night: None
) -> None:
    parent = app.emu.add_user(language_code="en")
    await onboard(parent)
    await parent.send("/request")
    await parent.wait_message("What kind of help")
    await parent.click("⚖️ Documents, benefits, legal help")
    await parent.wait_message("in your own words")
    await parent.click("Skip: I will tell a specialist")
    await parent.wait_message("How soon")
    await parent.click("It can wait a few days")
    await parent.wait_message("How would you like")
    await parent.click("💬 Write to me here")
    await parent.wait_message("Please check your request")
    await parent.click("✅ Send the request")
    done = await parent.wait_message("is registered")
    assert "it will be back: Monday, 15 March, 09:00" in (done.text or "")
    assert "112" in (done.text or "")  # out of hours: the emergency numbers too

    admin = app.emu.add_user(first_name="Ольга", language_code="ru")
    await staff(app, admin, Role.COORDINATOR)
    async with app.db.session() as session, session.begin():
        await session.execute(
            update(Person).where(Person.telegram_id == admin.id).values(is_active=True)
        )
    other = app.emu.add_user(language_code="en")
    await onboard(other)
    await other.send("we have nowhere to sleep tonight")
    await other.wait_message("in danger right now")
    await other.click("🆘 Send an urgent request now")
    await other.wait_message("How would you like")
    await other.click("💬 Write to me here")
    await other.wait_message("Please check your request")
    await other.click("✅ Send the request")
    urgent = await other.wait_message("is registered")
    assert "Urgent requests reach whoever is on duty even now" in (urgent.text or "")
    await admin.wait_message("nowhere to sleep tonight")  # no group yet: to the coordinators


async def test_an_unclaimed_request_reminds_past_its_sla_and_alerts_past_twice(
    app: App,
) -> None:
    start = datetime(2027, 3, 15, 2, 0, tzinfo=UTC)  # Monday, 10:00 in Irkutsk
    now = [start]
    set_clock(lambda: now[0])
    try:
        anna = app.emu.add_user(first_name="Анна", language_code="ru")
        olga = app.emu.add_user(first_name="Ольга", language_code="ru")
        await staff(app, anna, Role.SPECIALIST, "irk_family", on_duty=True)
        await staff(app, olga, Role.COORDINATOR)
        group = app.emu.add_forum_group("Поддержка семьи", members=[anna])
        await link(app, "irk_family", group.id, forum=True)
        parent = app.emu.add_user(language_code="en")
        await legal_request(parent, "We need help with documents")
        await until(lambda: group.topics, what="the topic")
        [thread] = group.topics
        async with app.db.session() as session:
            request = await session.scalar(select(HelpRequest))
        assert request is not None and request.sla_due_at is not None
        work = app.dp["work"]

        await work.drain(5)  # the routing's tick is over: the ticks below are ours alone
        now[0] = request.sla_due_at - timedelta(minutes=1)
        await work.tick()
        assert not [m for m in group.history if "⏰" in (m.text or "")]  # not yet
        now[0] = request.sla_due_at + timedelta(minutes=1)
        await work.tick()
        await group.wait_message(thread_id=thread, contains="⏰")
        await anna.wait_message("⏰")
        await work.tick()  # a second tick sends nothing twice
        assert len([m for m in group.history if "⏰" in (m.text or "")]) == 1

        queue = app.dp["queues"].get("irk_family")
        now[0] += queue.sla(request.priority)
        await work.tick()
        await olga.wait_message("🚨")
    finally:
        set_clock(None)


@pytest.mark.parametrize(
    ("forum", "rights", "says", "topics"),
    [
        (True, None, "Each request will open its own topic here", True),
        (False, None, "This group has no topics", False),
        (True, {"can_manage_topics": False}, "allow it to manage topics", False),
    ],
)
async def test_linking_a_group_says_exactly_what_is_missing_and_requests_still_arrive(
    app: App, forum: bool, rights: dict[str, bool] | None, says: str, topics: bool
) -> None:
    admin = app.emu.add_user(first_name="Ольга", language_code="en")
    await staff(app, admin, Role.ADMIN)
    if forum:
        group = app.emu.add_forum_group("Поддержка семьи", members=[admin], bot_rights=rights)
    else:
        group = app.emu.add_group("Поддержка семьи", members=[admin], supergroup=True)
    await group.send(admin, "/link_queue nonsense")
    await group.wait_message(contains="There is no queue «nonsense»")
    await group.send(admin, "/link_queue irk_family")
    linked = await group.wait_message(contains="now works the queue")
    assert says in (linked.text or "")

    parent = app.emu.add_user(language_code="en")
    await legal_request(parent, "We need help with documents")
    card = await group.wait_message(predicate=lambda m: bool(m.buttons))
    assert (card.thread_id is not None) is topics and bool(group.topics) is topics


async def test_only_an_admin_links_a_group(app: App) -> None:
    anna = app.emu.add_user(first_name="Анна", language_code="en")
    await staff(app, anna, Role.SPECIALIST, "irk_family")
    group = app.emu.add_forum_group("Поддержка семьи", members=[anna])
    await group.send(anna, "/link_queue irk_family")
    await group.wait_message(contains="Only an administrator")
    async with app.db.session() as session:
        assert await QueueLinksRepo(session).get("irk_family") is None


async def test_the_longest_story_and_a_long_answer_fit_telegrams_limits(app: App) -> None:
    anna = app.emu.add_user(first_name="Анна", language_code="ru")
    await staff(app, anna, Role.SPECIALIST, "irk_family")
    group = app.emu.add_forum_group("Поддержка семьи", members=[anna])
    await link(app, "irk_family", group.id)
    parent = app.emu.add_user(language_code="en")
    await legal_request(parent, "<&> " * 499)  # 1,996 characters, each escaped
    await until(lambda: group.topics, what="the topic")
    [thread] = group.topics
    await group.wait_message(thread_id=thread, predicate=lambda m: bool(m.buttons))
    await group.wait_message(thread_id=thread, contains="<&>")  # the rest of the story
    card = next(m for m in group.history if m.buttons)
    await group.click(anna, card.buttons[0][0], message_id=card.message_id)
    await parent.wait_message("has taken your request")
    await group.send(anna, "&" * 4000, thread_id=thread)
    await parent.wait_message(contains="&&&")
    # app's fixture fails the test if any call broke a limit (emu.violations)


async def test_a_card_that_fails_is_sent_again_into_the_same_topic(app: App) -> None:
    now = [datetime(2027, 3, 15, 2, 0, tzinfo=UTC)]
    set_clock(lambda: now[0])
    try:
        group = app.emu.add_forum_group("Поддержка семьи")
        await link(app, "irk_family", group.id)
        app.emu.faults.inject("sendMessage", status=500, times=3, chat_id=group.id)
        parent = app.emu.add_user(language_code="en")
        await legal_request(parent, "We need help with documents")
        await until(lambda: _route_waits(app), timeout=15, what="the card to fail, and wait")
        assert len(group.topics) == 1
        await app.dp["work"].drain(5)  # the first try's tick is over
        now[0] += timedelta(minutes=1)  # past the retry's pause
        await app.dp["work"].tick()
        card = await group.wait_message(predicate=lambda m: bool(m.buttons))
        assert len(group.topics) == 1 and card.thread_id in group.topics
    finally:
        set_clock(None)


async def _route_waits(app: App) -> bool:
    async with app.db.session() as session:
        item = await session.scalar(select(DueWork).where(DueWork.kind == WorkKind.ROUTE))
    return item is not None and item.status is WorkStatus.PENDING and item.attempts == 1
