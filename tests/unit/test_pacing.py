"""The send schedule keeps under Telegram's limits as the emulator models them."""

from __future__ import annotations

import time

import pytest

from bot.middlewares.pacing import Pacer, is_message_send
from bot.shared_pacing import SharedSchedules
from sandbox.faults import RateLimiter
from sandbox.state import ApiError
from tests.servers import RedisServer, free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _send_all(pacer: Pacer, clock: Clock, chats: list[int]) -> list[float]:
    """Send one message per entry as soon as the pacer allows; the send times."""
    times = []
    for chat in chats:
        clock.now += await pacer.delay(chat)
        times.append(clock.now)
    return times


@pytest.mark.parametrize(
    ("chats", "what"),
    [([7] * 30, "one private chat"), ([-100] * 40, "one group"), (list(range(1, 200)), "many")],
)
async def test_paced_sends_never_exceed_telegrams_limits(
    chats: list[int], what: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    pacer = Pacer(global_rate=28, clock=clock)
    limiter = RateLimiter(enabled=True)
    monkeypatch.setattr("sandbox.faults.time.monotonic", clock)
    for chat, at in zip(chats, await _send_all(pacer, clock, chats), strict=True):
        clock.now = at
        try:
            limiter.check(1, chat, chat < 0)
        except ApiError as exc:
            pytest.fail(f"{what}: Telegram would answer 429 at {at - 1000:.2f}s: {exc}")


async def test_a_private_chat_gets_a_short_burst_then_about_one_a_second() -> None:
    clock = Clock()
    pacer = Pacer(global_rate=0, clock=clock)
    times = [t - 1000 for t in await _send_all(pacer, clock, [7] * 6)]
    assert times[:3] == [0, 0, 0]
    assert times[3:] == pytest.approx([1.1, 2.2, 3.3])


async def test_a_429_holds_that_chat_only() -> None:
    clock = Clock()
    pacer = Pacer(global_rate=0, clock=clock)
    await pacer.hold(7, 5)
    assert await pacer.delay(7) == pytest.approx(5)
    assert await pacer.delay(8) == 0


async def test_admission_books_the_first_reply_only_while_the_chat_is_free() -> None:
    clock = Clock()
    pacer = Pacer(global_rate=0, clock=clock)
    assert await pacer.admit(7) == 0 and pacer.use_reservation(7)
    assert not pacer.use_reservation(7)  # one booking, one send
    for _ in range(2):
        await pacer.delay(7)  # the rest of the burst
    assert await pacer.admit(7) == 0 and not pacer.use_reservation(7)  # busy: not booked
    pacer.release()


def test_only_new_messages_count() -> None:
    assert is_message_send("sendMessage") and is_message_send("copyMessage")
    assert not is_message_send("sendChatAction")
    assert not is_message_send("editMessageText") and not is_message_send("answerCallbackQuery")


# -- several processes sharing the schedules in Redis ------------------------------------


async def _shared_pacers(url: str, bot_id: int, rate: float) -> list[Pacer]:
    return [Pacer(rate, shared=SharedSchedules.from_url(url, bot_id)) for _ in range(3)]


async def test_three_processes_keep_one_overall_rate_together(redis_server: RedisServer) -> None:
    """Sixty messages to sixty chats, booked in turn by three processes at 10 a second in
    all: after the first second's burst, no faster than 10 a second (on one process each
    would allow 10: 30 a second together)."""
    pacers = await _shared_pacers(redis_server.url, 1, rate=10)
    try:
        start = time.monotonic()
        moments = []
        for n in range(60):
            wait = await pacers[n % 3].delay(1000 + n)
            moments.append(time.monotonic() + wait - start)
        # The burst allows the first ten at once; then one slot every 0.1 s.
        assert moments[9] < 0.5
        assert moments[-1] == pytest.approx(5.0, abs=0.3)
    finally:
        for pacer in pacers:
            await pacer.shared.close()  # type: ignore[union-attr]


async def test_a_family_answered_by_two_processes_gets_one_a_second(
    redis_server: RedisServer,
) -> None:
    pacers = await _shared_pacers(redis_server.url, 2, rate=0)
    try:
        waits = [await pacers[n % 2].delay(7) for n in range(5)]
        assert waits[:3] == pytest.approx([0, 0, 0], abs=0.05)  # the short burst
        assert waits[3:] == pytest.approx([1.1, 2.2], abs=0.05)
        assert await pacers[0].admit(7) == 0 and not pacers[0].use_reservation(7)  # busy
        await pacers[1].hold(8, 5)  # a 429 seen by one process holds the chat for all
        assert await pacers[0].delay(8) == pytest.approx(5, abs=0.05)
    finally:
        for pacer in pacers:
            await pacer.shared.close()  # type: ignore[union-attr]


async def test_without_redis_each_process_paces_alone() -> None:
    shared = SharedSchedules.from_url(f"redis://127.0.0.1:{free_port()}/0", 3)
    pacer = Pacer(0, shared=shared)
    try:
        assert [await pacer.delay(7) for _ in range(4)][3] == pytest.approx(1.1, abs=0.05)
        assert not shared.up  # and Redis is not asked again for a while
    finally:
        await shared.close()
