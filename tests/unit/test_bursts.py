from __future__ import annotations

from bot.dialogs.bursts import BurstGate


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_text_gets_one_answer_and_a_pause_starts_a_new_burst() -> None:
    clock = Clock()
    gate = BurstGate(gap=2.5, clock=clock)
    answers = []
    for _ in range(50):  # a flood: a message every 20 ms
        answers.append(gate.should_answer(1, "text"))
        clock.now += 0.02
    assert answers.count(True) == 1 and answers[0]
    clock.now += 10
    assert gate.should_answer(1, "text")


def test_the_last_of_a_queued_burst_answers() -> None:
    gate = BurstGate(clock=Clock())
    assert [gate.should_answer(1, "text", backlog=n) for n in (2, 1, 0)] == [False, False, True]


def test_other_kinds_steps_and_chats_are_other_acts() -> None:
    gate = BurstGate(clock=Clock())
    assert gate.should_answer(1, "text")
    assert gate.should_answer(1, "contact")
    assert gate.should_answer(1, "text", step="Onboarding:consent")
    assert gate.should_answer(2, "text")
    assert not gate.should_answer(1, "text")


def test_memory_stays_bounded() -> None:
    gate = BurstGate(size=100, clock=Clock())
    for chat in range(1000):
        gate.should_answer(chat, "text")
    assert len(gate._chats) == 100
