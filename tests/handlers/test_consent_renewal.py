"""A new version of the notice is agreed to at the next interaction; the dialog goes on."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Person
from tests.handlers.conftest import App


async def _agreed_to(app: App, telegram_id: int, version: str | None = None) -> str | None:
    async with app.db.session() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        if version is not None:
            person.consent_version = version  # as if they had agreed before the update
        return person.consent_version


async def test_a_new_notice_interrupts_and_the_dialog_resumes(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose")
    await user.click("English")
    await user.wait_message("Do you agree")
    await user.click("I agree")
    await user.wait_message("Which region")
    await user.click("Altai Krai")
    await user.wait_message("Which town or district")
    await user.send("Biysk")
    children = await user.wait_message("How old are your children")
    await user.click("0–4 years")
    await user.wait_message(predicate=lambda m: ["✅ 0–4 years"] in m.buttons)
    await _agreed_to(app, user.id, version="2025-01")  # the notice changed meanwhile

    await user.send("/sos")  # the emergency numbers never wait for a consent
    await user.wait_message("in danger right now")
    await user.click("5–11 years", message_id=children.message_id)
    renewal = await user.wait_message("We have updated our notice")
    assert ["I agree"] in renewal.buttons
    assert await _agreed_to(app, user.id) == "2025-01"  # nothing counted before agreeing

    await user.click("I agree", message_id=renewal.message_id)
    resumed = await user.wait_message("go on from where you stopped")
    assert "How old are your children" in (resumed.text or "")
    assert ["✅ 0–4 years"] in resumed.buttons and ["5–11 years"] in resumed.buttons
    assert await _agreed_to(app, user.id) == app.settings.consent_version
    await user.click("Done", message_id=resumed.message_id)
    await user.wait_message("Would you like news")
