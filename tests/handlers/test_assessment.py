"""The self-assessment as a parent takes it: progress, Back/Skip/Pause, resume, the result,
the help that fits one tap away, red flags, and what changed since last time."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.assessment import load_assessment
from db.models import Assessment, Draft, DraftKind
from sandbox import TestUser
from tests.handlers.conftest import App
from tests.helpers import onboard

QUESTIONS = load_assessment()
TOTAL = len(QUESTIONS)


async def _answer_all_from(user: TestUser, start: int, pick: int = 0) -> None:
    """Answer questions start..end with the answer at place `pick` (0: the easiest)."""
    for n in range(start, TOTAL):
        question = await user.wait_message(f"Question {n + 1} of {TOTAL}")
        await user.click(question.buttons[pick][0], message_id=question.message_id)


async def test_pause_resume_and_the_help_that_fits(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.click("🧭 How is my family doing?")
    intro = await user.wait_message("This is not a test")
    assert f"{TOTAL} short questions" in (intro.text or "")
    await user.click("Begin")
    first = await user.wait_message(f"Question 1 of {TOTAL} · Housing")
    assert first.buttons[-3] == ["Skip »"]  # no Back on the first question
    await user.click("We may lose our home soon")  # strained housing
    await user.wait_message(f"Question 2 of {TOTAL}")
    await user.click("« Back")
    await user.wait_message(f"Question 1 of {TOTAL}")
    await user.click("We may lose our home soon")
    await user.wait_message(f"Question 2 of {TOTAL}")
    await user.click("Skip »")
    await user.wait_message(f"Question 3 of {TOTAL}")
    await user.send("what does this mean?")  # words where a button is expected
    hint = await user.wait_message("Please answer with a button")
    assert f"Question 3 of {TOTAL}" in (hint.text or "")
    await user.click("⏸ Pause", message_id=hint.message_id)
    paused = await user.wait_message("Your answers are saved")
    assert ["📝 Continue the questions"] in paused.buttons

    await user.send("/start")
    await user.wait_message("How can we help")
    await user.click("📝 Continue the questions")
    resumed = await user.wait_message("You stopped at question 3")
    await user.click(resumed.buttons[0][0], message_id=resumed.message_id)
    await _answer_all_from(user, 3)
    result = await user.wait_message("Thank you for your answers")
    assert result.text is not None
    assert "Housing: 🟡 hard now" in result.text and "Safety at home: 🟢" in result.text
    assert ["🏠 A place to stay (crisis centre)"] in result.buttons

    await user.click("🏠 A place to stay (crisis centre)")
    await user.wait_message("in your own words")  # the category is already chosen
    async with app.db.session() as session:
        assessment = await session.scalar(select(Assessment))
        draft = await session.scalar(select(Draft).where(Draft.kind == DraftKind.REQUEST))
    assert assessment is not None and assessment.answers["home_now"] == "at_risk"
    assert "money" not in assessment.answers
    assert draft is not None
    assert draft.data["category"] == "crisis_housing"
    assert draft.data["assessment_id"] == assessment.id


async def test_a_red_flag_answer_interrupts_with_the_emergency_numbers(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("/assessment")
    await user.wait_message("This is not a test")
    await user.click("Begin")
    await user.wait_message(f"Question 1 of {TOTAL}")
    await user.click("We have nowhere to sleep tonight")
    alarm = await user.wait_message("in danger right now")
    assert "112" in (alarm.text or "")
    assert ["🆘 Send an urgent request now"] in alarm.buttons
    await user.click("Go on with the questions")
    await user.wait_message(f"Question 2 of {TOTAL}")


async def test_taking_it_again_shows_what_changed(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("/assessment")
    await user.wait_message("This is not a test")
    await user.click("Begin")
    await user.wait_message(f"Question 1 of {TOTAL}")
    await user.click("With relatives, friends or in a shelter")
    await _answer_all_from(user, 1)
    await user.wait_message("Thank you for your answers")
    await user.send("/assessment")
    await user.wait_message("This is not a test")
    await user.click("Begin")
    await _answer_all_from(user, 0)
    again = await user.wait_message("Since last time")
    assert "Housing: better (🟢 holding steady)" in (again.text or "")
