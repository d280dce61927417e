"""/forget erases a family's personal data after they confirm, and keeps only counts."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import (
    AuditLog,
    FsmRecord,
    HelpKind,
    HelpRequest,
    Person,
    RequestMessage,
    RequestStatus,
)
from tests.handlers.conftest import App
from tests.helpers import onboard


async def test_forget_erases_everything_personal_after_confirmation(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("my husband lost his job, we need help with food")
    await user.wait_message("Thank you for writing")
    async with app.db.session() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
        assert person is not None
        person.phone = "+79990001122"
        session.add(HelpRequest(person_id=person.id, help_kind=HelpKind.MATERIAL, summary="food"))
        person_id = person.id

    await user.send("/forget")
    await user.wait_message("Delete all your data?")
    await user.click("No, keep my data")
    await user.wait_message("How can we help")
    async with app.db.session() as session:
        assert await session.scalar(select(func.count(RequestMessage.id))) == 1

    await user.send("/forget")
    await user.wait_message("Delete all your data?")
    await user.click("Yes, delete everything")
    done = await user.wait_message("your data is deleted")
    assert "112" in (done.text or "")

    async with app.db.session() as session:
        stub = await session.get(Person, person_id)
        assert stub is not None
        assert stub.telegram_id != user.id and stub.telegram_id < 0
        assert (stub.phone, stub.region, stub.timezone, stub.locale) == (None, None, None, None)
        assert stub.children_ages == [] and not stub.has_consent and not stub.is_active
        assert await session.scalar(select(func.count(RequestMessage.id))) == 0
        request = await session.scalar(select(HelpRequest))
        assert request is not None  # the count stays, the words go
        assert request.status is RequestStatus.CANCELLED and request.summary is None
        keys = (await session.scalars(select(FsmRecord.key))).all()
        assert not [k for k in keys if f":{user.id}:" in k]
        assert "person.forget" in (await session.scalars(select(AuditLog.action))).all()

    # A return is a new first contact.
    await user.send("/start")
    await user.wait_message("Please choose")


async def test_the_delete_button_of_an_old_confirmation_does_nothing_later(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("/forget")
    ask = await user.wait_message("Delete all your data?")
    await user.send("/start")  # went elsewhere instead of answering
    await user.wait_message("How can we help")
    late = await user.click("Yes, delete everything", message_id=ask.message_id)
    answer = await user.wait_callback_answer(late)
    assert "out of date" in answer["text"]  # the guard: not this step any more
    await user.wait_message("How can we help")
    async with app.db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
    assert person is not None and person.has_consent
