"""A first message that is a cry for help is never answered with a form."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Draft, RequestMessage
from tests.handlers.conftest import App
from tests.helpers import onboard


async def _kept(app: App) -> int:
    async with app.db.session() as session:
        return int(await session.scalar(select(func.count(RequestMessage.id))) or 0)


async def test_danger_written_at_the_language_step_gets_the_emergency_numbers_first(
    app: App,
) -> None:
    user = app.emu.add_user(language_code="ru")
    await user.send("/start")
    await user.wait_message("Выберите")
    await user.send("муж снова пьёт, мне страшно за детей")
    reply = await user.wait_message("угрожает опасность")
    assert reply.text is not None
    assert reply.text.startswith("Если вам или ребёнку угрожает опасность прямо сейчас")
    assert "112" in reply.text and "8-800-2000-122" in reply.text
    assert reply.buttons == [["Русский", "English"]]  # and the way on
    assert await _kept(app) == 0  # no consent yet: read, never stored


async def test_in_english_at_the_consent_step_the_next_step_is_the_consent(app: App) -> None:
    user = app.emu.add_user(language_code="en")
    await user.send("/start")
    await user.wait_message("Please choose")
    await user.click("English")
    await user.wait_message("Do you agree")
    await user.send("we have nowhere to sleep tonight")
    reply = await user.wait_message("in danger right now")
    assert reply.text is not None and "we need your consent" in reply.text
    assert ["I agree"] in reply.buttons and ["🆘 Emergency contacts"] in reply.buttons


async def test_after_consent_the_words_are_kept_and_everyday_text_is_not_alarming(
    app: App,
) -> None:
    user = app.emu.add_user(language_code="en")
    await onboard(user)
    await user.send("I don't want to live anymore")
    reply = await user.wait_message("in danger right now")
    assert reply.text is not None and "as an urgent request right now" in reply.text
    assert ["🆘 Send an urgent request now"] in reply.buttons  # one tap from being sent
    app.pass_time(5)
    await user.send("we need a pram for the baby")
    calm = await user.wait_message("Thank you for writing")
    assert "danger" not in (calm.text or "")
    assert await _kept(app) == 1  # the calm words, kept for the family's case
    async with app.db.session() as session:
        draft = await session.scalar(select(Draft))
    assert draft is not None  # the words of danger begin an urgent request
    assert draft.data["story"] == "I don't want to live anymore"
    assert draft.data["red_flags"] == ["self_harm"]
