"""A request becomes a case: an admin links a forum group to a queue and invites two
specialists; an urgent request opens its topic with a card; both specialists press Take at
once and exactly one wins; messages go both ways, notes stay with the team."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select, update

from db.models import HelpRequest, MessageDirection, Person, Priority, RequestMessage, Role
from sandbox import TestGroup, TestUser
from tests.handlers.conftest import App
from tests.helpers import onboard, until


async def _make_admin(app: App, user: TestUser) -> None:
    await user.send("/start")
    await user.wait_message()
    async with app.db.session() as session, session.begin():
        await session.execute(
            update(Person).where(Person.telegram_id == user.id).values(role=Role.ADMIN)
        )


async def _invite(admin: TestUser, user: TestUser, queue: str) -> None:
    await admin.send(f"/invite specialist {queue}")
    invite = await admin.wait_message("t.me/")
    token = re.search(r"start=(inv_\S+)", invite.text or "")
    assert token is not None
    await user.send(f"/start {token.group(1)}")
    await user.wait_message(predicate=lambda m: "/duty" in (m.text or ""))


async def _staffed_group(app: App) -> tuple[TestUser, TestUser, TestUser, TestGroup]:
    admin = app.emu.add_user(first_name="Ольга", language_code="ru")
    anna = app.emu.add_user(first_name="Анна", language_code="ru")
    boris = app.emu.add_user(first_name="Борис", language_code="ru")
    await _make_admin(app, admin)
    group = app.emu.add_forum_group("Кризисная служба", members=[admin, anna, boris])
    await group.send(admin, "/link_queue irk_crisis")
    linked = await group.wait_message(contains="кризисная помощь")
    assert "тему" in (linked.text or "") or "тем" in (linked.text or "")
    await _invite(admin, anna, "irk_crisis")
    await _invite(admin, boris, "irk_crisis")
    await anna.send("/duty")
    duty = await anna.wait_message(predicate=lambda m: bool(m.buttons))
    await anna.click(duty.buttons[0][0])
    await anna.wait_message(predicate=lambda m: m.buttons[0][0].startswith("🟢"))
    return admin, anna, boris, group


async def test_an_urgent_request_reaches_its_topic_and_one_specialist_takes_it(
    app: App,
) -> None:
    _admin, anna, boris, group = await _staffed_group(app)
    parent = app.emu.add_user(language_code="en")
    await onboard(parent)  # Irkutsk Oblast
    await parent.send("he beats me and I am scared for the kids")
    await parent.wait_message("in danger right now")
    await parent.click("🆘 Send an urgent request now")
    await parent.wait_message("How would you like")
    await parent.click("💬 Write to me here")
    await parent.wait_message("Please check your request")
    await parent.click("✅ Send the request")
    await parent.wait_message("is registered")

    await until(lambda: group.topics, what="the request's topic")
    [(thread, topic)] = group.topics.items()
    assert topic.name.startswith("#1 · ")
    card = await group.wait_message(thread_id=thread, predicate=lambda m: bool(m.buttons))
    assert card.text is not None and "he beats me" in card.text
    assert str(parent.id) not in card.text and "@" not in card.text  # no Telegram identity
    await anna.wait_message(predicate=lambda m: "#1" in (m.text or ""))  # she is on duty

    take = card.buttons[0][0]
    first, second = await asyncio.gather(
        group.click(anna, take, message_id=card.message_id),
        group.click(boris, take, message_id=card.message_id),
    )
    answers = [await group.wait_callback_answer(cb) for cb in (first, second)]
    texts = [a["text"] or "" for a in answers]
    assert sum("Анна" in t or "Борис" in t for t in texts) == 2
    async with app.db.session() as session:
        request = await session.scalar(select(HelpRequest))
        assert request is not None and request.priority is Priority.URGENT
        holder = await session.get(Person, request.assignee_id)
    assert holder is not None and holder.display_name in ("Анна", "Борис")
    specialist = anna if holder.display_name == "Анна" else boris
    await parent.wait_message(f"{holder.display_name} from the «Дети в семье» service")
    await until(lambda: holder.display_name in group.topics[thread].name, what="topic renamed")

    await group.send(specialist, "Здравствуйте! Вы сейчас в безопасности?", thread_id=thread)
    answer = await parent.wait_message("Вы сейчас в безопасности?")
    assert (answer.text or "").startswith(holder.display_name)
    await group.send(specialist, "// позвонить в опеку завтра", thread_id=thread)
    await parent.send("/my")
    listed = await parent.wait_message("My requests")
    await parent.click(listed.buttons[0][0])
    await parent.wait_message("Request № 1")
    await parent.click("✉️ Add a message or photo")
    await parent.wait_message("Write what you would like to add")
    await parent.send("Yes, we are at my sister's now")
    relayed = await group.wait_message(thread_id=thread, contains="at my sister's")
    assert relayed.text is not None
    assert all("позвонить в опеку" not in (m.text or "") for m in parent.history)
    async with app.db.session() as session:
        kinds = (await session.scalars(select(RequestMessage.direction))).all()
    assert MessageDirection.STAFF_NOTE in kinds and MessageDirection.TO_FAMILY in kinds

    # A photo and a voice message both ways, a quick reply, then the case is closed.
    await group.send_photo(specialist, caption="Памятка", thread_id=thread)
    photo = await parent.wait_message("Памятка")
    assert "photo" in photo.raw
    await parent.send_voice()
    await group.wait_message(thread_id=thread, predicate=lambda m: "voice" in m.raw)
    await group.send(specialist, "/t", thread_id=thread)
    quick = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) > 1)
    await group.click(specialist, quick.buttons[0][0], message_id=quick.message_id)
    await parent.wait_message(predicate=lambda m: (m.text or "").startswith(holder.display_name))

    card_now = next(m for m in group.history if m.message_id == card.message_id)
    await group.click(specialist, card_now.buttons[-1][0], message_id=card.message_id)  # Close
    outcome = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) == 5)
    await group.click(specialist, outcome.buttons[0][0], message_id=outcome.message_id)  # helped
    child = await group.wait_message(thread_id=thread, predicate=lambda m: len(m.buttons) == 4)
    await group.click(specialist, child.buttons[0][0], message_id=child.message_id)  # at home
    closed = await parent.wait_message("Did this help?")
    assert closed.buttons == [["1", "2", "3", "4", "5"]]
    await parent.click("5", message_id=closed.message_id)
    await parent.wait_message("Thank you!")
    async with app.db.session() as session:
        request = await session.scalar(select(HelpRequest))
    assert request is not None and request.rating == 5
    assert request.outcome is not None and request.child_status is not None

    await _admin.send("/queues")
    overview = await _admin.wait_message(predicate=lambda m: "Иркутская область" in (m.text or ""))
    crisis = (overview.text or "").split("Иркутская область: кризисная помощь")[1].split("\n\n")[0]
    assert "5.0" in crisis and "Анна" in crisis
