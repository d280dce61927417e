"""Personas of the queue stories: staff with a role (and a queue), a linked staff group, a
parent who sends a request."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Person, Role
from db.repositories import QueueLinksRepo, QueueStaffRepo
from sandbox import TestUser
from tests.handlers.conftest import App
from tests.helpers import onboard


async def staff(
    app: App, user: TestUser, role: Role, queue: str | None = None, on_duty: bool = False
) -> None:
    await user.send("/start")
    await user.wait_message()
    async with app.db.session() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
        assert person is not None
        person.role, person.display_name = role, user.first_name
        if queue is not None:
            await QueueStaffRepo(session).add(queue, person.id)
            if on_duty:
                [membership] = await QueueStaffRepo(session).of_person(person.id)
                membership.on_duty = True


async def link(app: App, queue: str, chat_id: int, forum: bool = True) -> None:
    async with app.db.session() as session, session.begin():
        await QueueLinksRepo(session).put(queue, chat_id, forum, None)


async def legal_request(parent: TestUser, story: str) -> None:
    """An onboarded parent (Irkutsk Oblast) sends a non-urgent request for legal help."""
    await onboard(parent)
    await parent.send("/request")
    await parent.wait_message("What kind of help")
    await parent.click("⚖️ Documents, benefits, legal help")
    await parent.wait_message("in your own words")
    await parent.send(story)
    await parent.wait_message("Saved: text")
    await parent.click("Next »")
    await parent.wait_message("How soon")
    await parent.click("It can wait a few days")
    await parent.wait_message("How would you like")
    await parent.click("💬 Write to me here")
    await parent.wait_message("Please check your request")
    await parent.click("✅ Send the request")
    await parent.wait_message("is registered")
