"""Discreet mode: what the bot sends on its own opens with a neutral line, the rest hidden."""

from __future__ import annotations

from bot.dialogs.onboarding import unprompted
from bot.i18n import create_i18n
from db.models import Person


def test_a_person_in_discreet_mode_gets_a_neutral_first_line_and_the_rest_hidden() -> None:
    i18n = create_i18n("ru")
    text = "Специалист ответил по заявке № 12: <b>приходите завтра</b>"
    with i18n.context(), i18n.use_locale("ru"):
        hidden = unprompted(Person(discreet=True), text)
        plain = unprompted(Person(discreet=False), text)
    first_line, rest = hidden.split("\n\n", 1)
    assert first_line == "У вас новое сообщение"
    assert rest == f"<tg-spoiler>{text}</tg-spoiler>"
    assert plain == text
