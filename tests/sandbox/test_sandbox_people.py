"""The test-user API and an aiogram Dispatcher bot answering a person end to end."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandStart
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from sandbox import Emulator, TestUser


def build_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            "Выберите язык",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="Русский", callback_data="lang:ru"),
                        InlineKeyboardButton(text="English", callback_data="lang:en"),
                    ]
                ]
            ),
        )

    @dp.callback_query(F.data.startswith("lang:"))
    async def choose(cb: CallbackQuery) -> None:
        assert isinstance(cb.message, Message)
        await cb.message.edit_text(f"Язык: {cb.data}")
        await cb.answer("Готово")
        await cb.message.answer(
            "Поделитесь телефоном",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[
                    [KeyboardButton(text="Отправить номер", request_contact=True)],
                    [KeyboardButton(text="Позже")],
                ],
                resize_keyboard=True,
            ),
        )

    @dp.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        await message.answer(f"Номер {message.contact.phone_number} сохранён")

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Эхо: {message.html_text}", parse_mode="HTML")

    @dp.message(F.photo | F.document | F.voice | F.sticker)
    async def media(message: Message) -> None:
        await message.answer(f"Файл получен: {message.content_type}")

    return dp


@pytest.fixture
async def running_bot(token: str, bot_factory: Callable[[str], Bot]) -> AsyncIterator[Bot]:
    bot = bot_factory(token)
    dp = build_dispatcher()
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))
    yield bot
    await dp.stop_polling()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_end_to_end_dialog(running_bot: Bot, emu: Emulator, anna: TestUser) -> None:
    await anna.send("/start")
    m = await anna.wait_message(contains="язык")
    assert m.buttons == [["Русский", "English"]]

    cb_id = await anna.click("Русский")
    edited = await anna.wait_message(predicate=lambda x: x.edited)
    assert edited.text == "Язык: lang:ru" and edited.buttons == []
    answer = await anna.wait_callback_answer(cb_id)
    assert answer["text"] == "Готово" and answer["show_alert"] is False

    prompt = await anna.wait_message(pattern=r"телефон")
    assert prompt.reply_buttons == [["Отправить номер"], ["Позже"]]
    await anna.press("Отправить номер")
    assert "сохранён" in (await anna.wait_message(contains="Номер")).text  # type: ignore[operator]
    await anna.press("Позже")
    await anna.wait_message(contains="Эхо: Позже")
    await anna.share_contact(phone="+79990001122")
    await anna.wait_message(contains="+79990001122")

    await anna.send("<не тег> & всё")
    await anna.wait_message(contains="Эхо: <не тег> & всё")
    for send in (anna.send_photo, anna.send_document, anna.send_voice, anna.send_sticker):
        await send()
        await anna.wait_message(contains="Файл получен")

    assert emu.violations == []
    assert emu.unanswered_callbacks() == []
    texts = [m.text for m in anna.history]
    assert texts[:2] == ["/start", "Язык: lang:ru"]


async def test_wait_timeout_explains(emu: Emulator, anna: TestUser, bot: Bot) -> None:
    await bot.send_message(anna.id, "что-то другое")
    with pytest.raises(AssertionError) as info:
        await anna.wait_message(contains="никогда", timeout=0.1)
    assert "что-то другое" in str(info.value)


async def test_click_errors_and_unanswered(emu: Emulator, anna: TestUser, bot: Bot) -> None:
    await bot.send_message(
        anna.id,
        "x",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="A", callback_data="a"),
                    InlineKeyboardButton(text="Site", url="https://example.org"),
                ]
            ]
        ),
    )
    with pytest.raises(AssertionError, match="available"):
        await anna.click("B")
    with pytest.raises(AssertionError, match="no callback_data"):
        await anna.click("Site")
    with pytest.raises(AssertionError, match="no reply keyboard"):
        await anna.press("Нет такой")
    cb = await anna.click("A")
    assert [c.id for c in emu.unanswered_callbacks()] == [cb]
    assert emu.unanswered_callbacks(older_than=60) == []
    await bot.answer_callback_query(cb, text="ok")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(cb)
    cb2 = await anna.click("A")
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(cb2, text="x" * 201)
