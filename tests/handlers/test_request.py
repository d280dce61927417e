"""The help request, as a parent fills it in, and «My requests» afterwards."""

from __future__ import annotations

import re

from sqlalchemy import select

from db.models import (
    ContactMethod,
    ContactTime,
    HelpKind,
    HelpRequest,
    Person,
    RequestMessage,
    RequestStatus,
    Urgency,
)
from tests.handlers.conftest import App
from tests.helpers import onboard

# The queue's median first response, or its SLA; out of its hours, when the team is back.
WHEN = re.compile(
    r"Usually the first answer comes within \d+ \w+|it will be back: \w+, \d+ \w+, \d\d:\d\d"
)


async def _requests(app: App) -> list[HelpRequest]:
    async with app.db.session() as session:
        return list((await session.scalars(select(HelpRequest))).all())


async def test_a_parent_asks_for_a_call_back_and_follows_the_request(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.click("🤝 Ask for help")
    await user.wait_message("What kind of help")
    await user.click("🧸 Baby things on loan («Мой малыш»)")
    await user.wait_message("in your own words")
    await user.send("We need a pram for our newborn, ours broke.")
    status = await user.wait_message("Saved: text")
    assert ["Next »"] in status.buttons
    await user.send_photo(caption="the broken one")
    await user.wait_message("1 file")
    await user.click("Next »")
    await user.wait_message("How soon")
    await user.click("It can wait a few days")
    await user.wait_message("How would you like")
    await user.click("📞 Call me back")
    ask = await user.wait_message("Share my phone number")
    assert ask.reply_buttons == [["📱 Share my phone number"], ["↩️ Another way to contact me"]]
    await user.send("+7 999 123 45 67")  # typed: not taken
    await user.wait_message("only through the button")
    await user.press("📱 Share my phone number")
    await user.wait_message("the number is saved")
    await user.wait_message("When is it convenient")
    await user.click("Evening, 17–21")
    review = await user.wait_message("Please check your request")
    assert review.text is not None
    assert "Baby things on loan" in review.text and "We need a pram" in review.text
    assert "Attached: 1 file" in review.text and "evening, 17–21" in review.text
    await user.click("✅ Send the request")
    done = await user.wait_message("is registered")
    assert done.text is not None and WHEN.search(done.text)

    [request] = await _requests(app)
    assert request.help_kind is HelpKind.RENTAL and request.urgency is Urgency.NORMAL
    assert request.contact_method is ContactMethod.CALL
    assert request.contact_time is ContactTime.EVENING
    assert request.summary == "We need a pram for our newborn, ours broke.\n\nthe broken one"
    async with app.db.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == user.id))
        files = (await session.scalars(select(RequestMessage))).all()
    assert person is not None and person.phone
    assert [(m.content_type, m.request_id) for m in files] == [("photo", request.id)]
    assert f"№ {request.id}" in (done.text or "")

    await user.click("📋 My requests")
    listed = await user.wait_message("My requests")
    [[row]] = [r for r in listed.buttons if r[0].startswith("№")]
    await user.click(row)
    await user.wait_message("waiting for a specialist")
    await user.click("✉️ Add a message or photo")
    await user.wait_message("Write what you would like to add")
    await user.send("The pram should fit a lift, please.")
    await user.wait_message(f"Added to request № {request.id}")
    await user.click("Done")
    shown = await user.wait_message("Latest messages")
    assert "The pram should fit a lift" in (shown.text or "")
    await user.click("Cancel the request")
    await user.wait_message("Please tell us why")
    await user.click("It has sorted itself out")
    await user.wait_message("is cancelled")
    [request] = await _requests(app)
    assert request.status is RequestStatus.CANCELLED


async def test_nothing_entered_is_lost_when_the_parent_goes_elsewhere_midway(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("/request")
    await user.wait_message("What kind of help")
    await user.click("⚖️ Documents, benefits, legal help")
    await user.wait_message("in your own words")
    await user.send("They refused us the child benefit.")
    await user.wait_message("Saved: text")
    await user.send("/sos")
    await user.wait_message("call 112")
    await user.send("/start")
    menu = await user.wait_message("How can we help")
    assert ["📝 Continue my request"] in menu.buttons
    await user.click("📝 Continue my request")
    story = await user.wait_message("in your own words")
    assert "text: 34 of 2000 characters" in (story.text or "")
    await user.send_sticker()
    await user.wait_message("Please type your message")
    await user.send("x" * 1990)
    refused = await user.wait_message("the limit is 2000")
    assert "text: 34 of 2000" in (refused.text or "")
    await user.click("Next »")
    await user.wait_message("How soon")
    await user.send("today please")  # text where a button is expected
    hint = await user.wait_message("Please answer with a button")
    assert ["Today or tomorrow"] in hint.buttons
    await user.click("Today or tomorrow")
    await user.wait_message("How would you like")
    await user.click("💬 Write to me here")
    review = await user.wait_message("Please check your request")
    assert "child benefit" in (review.text or "")
    await user.click("✅ Send the request")
    await user.wait_message("is registered")
    [request] = await _requests(app)
    assert request.urgency is Urgency.HIGH and request.contact_time is None
    async with app.db.session() as session:
        kept = (await session.scalars(select(RequestMessage.text))).all()
    assert "today please" in kept  # the stray words joined the request


async def test_six_photos_keep_five_and_say_so_once(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("/request")
    await user.wait_message("What kind of help")
    await user.click("🧺 Food, clothes, money support")
    await user.wait_message("in your own words")
    for _ in range(6):
        await user.send_photo()
    await user.wait_message("up to 5 photos")
    await user.click("Next »")
    await user.wait_message("How soon")
    async with app.db.session() as session:
        from db.models import Draft

        draft = await session.scalar(select(Draft))
    assert draft is not None and len(draft.data["files"]) == 5


async def test_words_of_danger_in_the_menu_become_an_urgent_request_in_two_taps(
    app: App,
) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("he beats me and I am scared for the kids")
    offer = await user.wait_message("in danger right now")
    assert ["🆘 Send an urgent request now"] in offer.buttons
    await user.click("🆘 Send an urgent request now")
    await user.wait_message("How would you like")
    await user.click("💬 Write to me here")
    review = await user.wait_message("Please check your request")
    assert "he beats me" in (review.text or "")
    await user.click("✅ Send the request")
    done = await user.wait_message("is registered")
    assert WHEN.search(done.text or "") and "call 112" in (done.text or "")
    [request] = await _requests(app)
    assert request.urgency is Urgency.EMERGENCY and request.red_flags == ["violence"]
    assert request.help_kind is HelpKind.CRISIS_HOUSING
