"""The parent's journey through the real bot process: a help request full of awkward input,
with a kill -9 in the middle; the self-assessment across a restart; discreet mode."""

from __future__ import annotations

import signal

from sqlalchemy import select

from db.models import HelpRequest, RequestMessage, Urgency
from db.session import Database
from sandbox import Emulator
from tests.e2e.conftest import BotProcess
from tests.helpers import onboard


async def test_a_request_survives_kill_9_and_every_awkward_input_gets_an_answer(
    emu: Emulator, bot_process: BotProcess, db: Database
) -> None:
    user = emu.add_user(language_code="en")
    await onboard(user)
    await user.click("🤝 Ask for help")
    await user.wait_message("What kind of help")
    await user.send("I don't know which one")  # text where a button is expected
    hint = await user.wait_message("Please answer with a button")
    assert ["🏠 A place to stay (crisis centre)"] in hint.buttons
    await user.click("🧺 Food, clothes, money support", message_id=hint.message_id)
    await user.wait_message("in your own words")
    await user.send("My husband left, there is no money for food until the benefit comes.")
    await user.wait_message("Saved: text")
    await user.send_voice()
    await user.wait_message("1 voice message")
    await user.send_album(6)  # one photo too many, in an album
    refused = await user.wait_message("up to 5 photos or documents")
    assert "5 files" in (refused.text or "")
    await user.send("x" * 2100)  # over Telegram's ... and our limit
    await user.wait_message("the limit is 2000")
    await user.send_sticker()
    story = await user.wait_message("Please type your message")

    await bot_process.stop(signal.SIGKILL)
    await bot_process.start()

    await user.click("Next »", message_id=story.message_id)  # a button from before the crash
    urgency = await user.wait_message("How soon")
    await user.click("Today or tomorrow", message_id=urgency.message_id)
    await user.click("Today or tomorrow", message_id=urgency.message_id)  # a double tap
    await user.wait_message("How would you like")
    await user.send("/sos")  # in the middle of the request
    await user.wait_message("call 112")
    await user.send("/start")
    menu = await user.wait_message("How can we help")
    assert ["📝 Continue my request"] in menu.buttons
    await user.click("📝 Continue my request")
    await user.wait_message("How would you like")
    await user.click("💬 Write to me here")
    review = await user.wait_message("Please check your request")
    assert review.text is not None
    assert "no money for food" in review.text and "5 files, 1 voice message" in review.text
    assert "Today or tomorrow" in review.text
    await user.click("✅ Send the request")
    done = await user.wait_message("is registered")
    when = done.text or ""
    assert "Usually the first answer comes within" in when or "it will be back" in when

    async with db.session() as session:
        [request] = (await session.scalars(select(HelpRequest))).all()
        kinds = (
            await session.scalars(
                select(RequestMessage.content_type).where(RequestMessage.request_id == request.id)
            )
        ).all()
    assert request.urgency is Urgency.HIGH
    assert sorted(kinds) == ["photo"] * 5 + ["text", "voice"]  # the stray words joined it
    await user.send("/my")
    listed = await user.wait_message("My requests")
    assert [f"№ {request.id} · 🧺 Food, clothes, money support · waiting for a specialist"] in (
        listed.buttons
    )


async def test_the_assessment_resumes_after_a_restart_and_discreet_mode_clears_the_chat(
    emu: Emulator, bot_process: BotProcess
) -> None:
    user = emu.add_user(language_code="en")
    await onboard(user)
    await user.send("/assessment")
    await user.wait_message("This is not a test")
    await user.click("Begin")
    first = await user.wait_message("Question 1 of")
    await user.click(first.buttons[0][0])
    second = await user.wait_message("Question 2 of")

    await bot_process.stop(signal.SIGKILL)
    await bot_process.start()
    await user.send("/start")
    await user.wait_message("How can we help")
    await user.click("📝 Continue the questions")
    await user.wait_message("You stopped at question 2")
    assert second.message_id  # the old screen is not needed: the menu led back

    await user.send("/settings")
    await user.wait_message("What would you like to change")
    await user.click("🙈 Turn discreet mode on")
    await user.wait_message("Discreet mode is on")
    before = len([m for m in user.history])
    await user.click("🧹 Clear this chat")
    await user.wait_message("Clear this chat?")
    await user.click("Yes, clear the chat")
    cleared = await user.wait_message("The chat is cleared")
    left = user.history
    assert before > 5 and [m.message_id for m in left] == [cleared.message_id]
