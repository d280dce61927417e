"""The send schedule keeps under Telegram's limits as the emulator models them."""

from __future__ import annotations

import pytest

from bot.middlewares.pacing import Pacer, is_message_send
from sandbox.faults import RateLimiter
from sandbox.state import ApiError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _send_all(pacer: Pacer, clock: Clock, chats: list[int]) -> list[float]:
    """Send one message per entry as soon as the pacer allows; the send times."""
    times = []
    for chat in chats:
        clock.now += pacer.delay(chat)
        times.append(clock.now)
    return times


@pytest.mark.parametrize(
    ("chats", "what"),
    [([7] * 30, "one private chat"), ([-100] * 40, "one group"), (list(range(1, 200)), "many")],
)
def test_paced_sends_never_exceed_telegrams_limits(
    chats: list[int], what: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    pacer = Pacer(global_rate=28, clock=clock)
    limiter = RateLimiter(enabled=True)
    monkeypatch.setattr("sandbox.faults.time.monotonic", clock)
    for chat, at in zip(chats, _send_all(pacer, clock, chats), strict=True):
        clock.now = at
        try:
            limiter.check(1, chat, chat < 0)
        except ApiError as exc:
            pytest.fail(f"{what}: Telegram would answer 429 at {at - 1000:.2f}s: {exc}")


def test_a_private_chat_gets_a_short_burst_then_about_one_a_second() -> None:
    clock = Clock()
    pacer = Pacer(global_rate=0, clock=clock)
    times = [t - 1000 for t in _send_all(pacer, clock, [7] * 6)]
    assert times[:3] == [0, 0, 0]
    assert times[3:] == pytest.approx([1.1, 2.2, 3.3])


def test_a_429_holds_that_chat_only() -> None:
    clock = Clock()
    pacer = Pacer(global_rate=0, clock=clock)
    pacer.hold(7, 5)
    assert pacer.delay(7) == pytest.approx(5)
    assert pacer.delay(8) == 0


def test_admission_books_the_first_reply_only_while_the_chat_is_free() -> None:
    clock = Clock()
    pacer = Pacer(global_rate=0, clock=clock)
    assert pacer.admit(7) == 0 and pacer.use_reservation(7)
    assert not pacer.use_reservation(7)  # one booking, one send
    for _ in range(2):
        pacer.delay(7)  # the rest of the burst
    assert pacer.admit(7) == 0 and not pacer.use_reservation(7)  # busy: handled, not booked
    pacer.release()


def test_only_new_messages_count() -> None:
    assert is_message_send("sendMessage") and is_message_send("copyMessage")
    assert not is_message_send("sendChatAction")
    assert not is_message_send("editMessageText") and not is_message_send("answerCallbackQuery")
