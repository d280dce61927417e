"""Buttons that were never shown, or are no longer shown, change nothing."""

from __future__ import annotations

from sqlalchemy import select

from db.models import AuditLog, Person
from db.session import Database
from sandbox import Emulator
from tests.e2e.conftest import BotProcess
from tests.helpers import onboard

STALE = "out of date"


async def _person(db: Database, telegram_id: int) -> Person:
    async with db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
    assert person is not None
    return person


async def _audit(db: Database) -> list[str]:
    async with db.session() as session:
        return list((await session.scalars(select(AuditLog.action))).all())


async def test_forged_and_replayed_callbacks_are_refused_without_effect(
    emu: Emulator, bot_process: BotProcess, db: Database
) -> None:
    user = emu.add_user(language_code="en")
    await user.send("/start")
    picker = await user.wait_message("Please choose")

    # Consent that was never shown: a forged "I agree" on the language screen.
    forged = await user.click_data(picker.message_id, "consent:accept")
    assert STALE in (await user.wait_callback_answer(forged))["text"]
    assert (await _person(db, user.id)).has_consent is False
    # Data no dialog knows, and a language that does not exist.
    for data in ("zzz", "lang:xx", "menu:nothing"):
        answer = await user.wait_callback_answer(await user.click_data(picker.message_id, data))
        assert STALE in answer["text"]
    assert (await _person(db, user.id)).locale is None

    await user.click("English", message_id=picker.message_id)
    consent = await user.wait_message("Do you agree")
    await user.send("what is this?")
    hint = await user.wait_message("choose one of the options")  # a second consent keyboard
    await user.click("I agree", message_id=consent.message_id)
    await user.wait_message("Thank you for your trust")
    await user.click("Novosibirsk Oblast")
    await user.wait_message("Which town or district")
    await user.click("Skip")
    await user.wait_message("How old are your children")
    await user.click("Skip")
    await user.wait_message("Would you like news")
    await user.click("No, thank you")
    menu = await user.wait_message("How can we help")
    # A region button forged onto the menu: not on screen, and not this step either.
    moved = await user.click_data(menu.message_id, "region:other")
    assert STALE in (await user.wait_callback_answer(moved))["text"]
    await user.wait_message("How can we help")
    assert (await _person(db, user.id)).region == "novosibirsk"

    # A button pressed again on a screen that has moved on.
    await user.send("/privacy")
    privacy = await user.wait_message("Personal data notice")
    assert ["Withdraw my consent"] in privacy.buttons
    await user.click("« Menu", message_id=privacy.message_id)  # the screen becomes the menu
    await user.wait_message("How can we help")
    replay = await user.click_data(privacy.message_id, "menu:withdraw")
    assert STALE in (await user.wait_callback_answer(replay))["text"]
    assert (await _person(db, user.id)).has_consent is True

    # A consent button still on an older message, after consent was given: not this step.
    assert hint.callback_data("I do not agree") == "consent:decline"
    old_step = await user.click("I do not agree", message_id=hint.message_id)
    assert STALE in (await user.wait_callback_answer(old_step))["text"]
    await user.wait_message("How can we help")  # the current screen, anew
    assert (await _person(db, user.id)).has_consent is True
    assert "consent.decline" not in await _audit(db)
    assert "consent.accept" in await _audit(db)
    assert emu.unanswered_callbacks() == []


async def test_a_withdraw_button_still_on_screen_works(
    emu: Emulator, bot_process: BotProcess, db: Database
) -> None:
    user = emu.add_user(language_code="en")
    await onboard(user)
    await user.send("/privacy")
    await user.wait_message("Personal data notice")
    await user.click("Withdraw my consent")
    await user.wait_message("Your consent is withdrawn")
    assert (await _person(db, user.id)).has_consent is False
