"""Fixtures: a running emulator, a registered bot and a real aiogram Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox import Emulator, TestUser


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
def token(emu: Emulator) -> str:
    return emu.add_bot(username="semya_test_bot")


def make_bot(emu: Emulator, token: str) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.api_url)))


@pytest.fixture
async def bot(emu: Emulator, token: str) -> AsyncIterator[Bot]:
    b = make_bot(emu, token)
    yield b
    await close_bot(b)


@pytest.fixture
async def bot_factory(emu: Emulator) -> AsyncIterator[Callable[[str], Bot]]:
    """Make extra aiogram bots (closed at teardown)."""
    made: list[Bot] = []

    def factory(token: str) -> Bot:
        made.append(make_bot(emu, token))
        return made[-1]

    yield factory
    for b in made:
        await close_bot(b)


async def close_bot(b: Bot) -> None:
    # aiogram's session.close() sleeps 250 ms for TLS shutdown; plain HTTP to loopback
    # needs none, and the sleep would dominate the suite's run time.
    raw = b.session._session  # type: ignore[attr-defined]
    if raw is not None:
        await raw.close()


@pytest.fixture
def anna(emu: Emulator, token: str) -> TestUser:
    return emu.add_user(first_name="Анна", language_code="ru")
