"""A real aiogram Bot against the emulator: sending, editing, limits, errors."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)

from sandbox import Emulator, TestUser


def kb(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t, callback_data=d) for t, d in row] for row in rows
        ]
    )


async def test_get_me(bot: Bot, token: str) -> None:
    me = await bot.get_me()
    assert me.id == int(token.split(":")[0])
    assert me.username == "semya_test_bot" and me.is_bot


async def test_send_edit_not_modified_delete(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    m = await bot.send_message(
        anna.id, "<b>Здравствуйте</b>", parse_mode="HTML", reply_markup=kb([("Да", "yes")])
    )
    assert m.text == "Здравствуйте" and m.entities and m.entities[0].type == "bold"
    assert m.from_user is not None and m.from_user.is_bot
    assert m.reply_markup is not None
    seen = await anna.wait_message(contains="Здравствуйте")
    assert seen.buttons == [["Да"]] and not seen.edited

    edited = await bot.edit_message_text(
        "Обновлено", chat_id=anna.id, message_id=m.message_id, reply_markup=kb([("Нет", "no")])
    )
    assert isinstance(edited, type(m)) and edited.edit_date is not None
    ev = await anna.wait_message()
    assert ev.edited and ev.text == "Обновлено" and ev.buttons == [["Нет"]]

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Обновлено", chat_id=anna.id, message_id=m.message_id, reply_markup=kb([("Нет", "no")])
        )
    # Editing without reply_markup drops the keyboard, like Telegram.
    await bot.edit_message_reply_markup(chat_id=anna.id, message_id=m.message_id)
    assert anna.history[-1].buttons == []

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=anna.id, message_id=999)
    assert await bot.delete_message(anna.id, m.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(anna.id, m.message_id)
    assert anna.history == []


async def test_message_ids_per_chat_and_replies(bot: Bot, emu: Emulator, anna: TestUser) -> None:
    boris = emu.add_user(first_name="Борис")
    a1 = await bot.send_message(anna.id, "1")
    b1 = await bot.send_message(boris.id, "1")
    a2 = await bot.send_message(
        anna.id, "2", reply_parameters=ReplyParameters(message_id=a1.message_id)
    )
    assert a1.message_id == b1.message_id == 1 and a2.message_id == 2
    assert a2.reply_to_message is not None and a2.reply_to_message.message_id == 1
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(anna.id, "x", reply_parameters=ReplyParameters(message_id=77))
    ok = await bot.send_message(
        anna.id,
        "x",
        reply_parameters=ReplyParameters(message_id=77, allow_sending_without_reply=True),
    )
    assert ok.reply_to_message is None
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(123, "nobody")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"text": "я" * 4097}, "message is too long"),
        ({"text": "😀" * 2049}, "message is too long"),  # 4098 UTF-16 units
        ({"text": "<b>bold", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "1 < 2", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "<b></b>", "parse_mode": "HTML"}, "message text is empty"),
        ({"text": "x", "reply_markup": kb([("a", "d" * 65)])}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "reply_markup": kb([("a", "я" * 33)])}, "BUTTON_DATA_INVALID"),
        (
            {"text": "x", "reply_markup": kb([(str(i), str(i)) for i in range(9)])},
            "BUTTONS_TOO_MUCH",
        ),
        (
            {
                "text": "x",
                "reply_markup": kb(
                    *[[(str(r * 8 + i), "d")] for i in range(1) for r in range(101)]
                ),
            },
            "BUTTONS_TOO_MUCH",
        ),
        ({"text": "x", "reply_markup": kb([("", "d")])}, "BUTTON_TEXT_INVALID"),
        (
            {
                "text": "x",
                "reply_markup": InlineKeyboardMarkup(
                    inline_keyboard=[[InlineKeyboardButton(text="no action")]]
                ),
            },
            "Text buttons are unallowed",
        ),
    ],
)
async def test_limits_are_enforced(
    bot: Bot, anna: TestUser, emu: Emulator, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=match):
        await bot.send_message(anna.id, **kwargs)  # type: ignore[arg-type]
    assert emu.violations and emu.violations[-1].method == "sendMessage"
    assert anna.history == []


async def test_limits_accept_the_maximum(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    await bot.send_message(anna.id, "я" * 4096)
    rows = [[(f"{r}-{i}", "d" * 64) for i in range(8)] for r in range(12)]
    rows.append([("last", "л" * 32)])  # 64 bytes of UTF-8
    await bot.send_message(anna.id, "x", reply_markup=kb(*rows[:12], [("ok", "л" * 32)]))
    await bot.send_photo(anna.id, BufferedInputFile(b"img", "p.jpg"), caption="c" * 1024)
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(anna.id, BufferedInputFile(b"img", "p.jpg"), caption="c" * 1025)
    assert len(emu.violations) == 1


async def test_raw_http_errors(emu: Emulator, token: str) -> None:
    async with aiohttp.ClientSession() as http:

        async def call(path: str, **kw: object) -> tuple[int, dict[str, object]]:
            async with http.post(f"{emu.api_url}{path}", **kw) as r:  # type: ignore[arg-type]
                return r.status, await r.json()

        status, body = await call(f"/bot{token}/sendMessages", json={"chat_id": 1})
        assert (status, body["description"]) == (404, "Not Found")
        status, body = await call(f"/bot{token}/SENDMESSAGE", json={"chat_id": 1})
        assert status == 400 and body["description"] == "Bad Request: message text is empty"
        status, body = await call(
            f"/bot{token}/sendMessage", data={"chat_id": "1", "text": "x", "message_thread_id": "a"}
        )
        assert status == 400 and "Integer" in str(body["description"])
        status, body = await call("/bot123:short/getMe")
        assert (status, body["description"]) == (401, "Unauthorized")
        status, body = await call(f"/bot9{token}/getMe")  # well-formed but unknown
        assert status == 401
        async with http.get(f"{emu.api_url}/bot{token}/getMe") as r:
            assert r.status == 200 and (await r.json())["ok"] is True
    assert [v.status for v in emu.violations] == [404, 400, 400, 401, 401]


async def test_blocked_user(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    await bot.send_message(anna.id, "hi")
    anna.block()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(anna.id, "still there?")
    updates = await bot.get_updates(timeout=0)
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    anna.unblock()
    await bot.send_message(anna.id, "welcome back")
    assert not emu.violations  # 403 is not the bot's fault


async def test_injected_faults(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    emu.faults.inject("sendMessage", status=429, retry_after=3, times=1)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(anna.id, "x")
    assert info.value.retry_after == 3
    await bot.send_message(anna.id, "second try works")

    emu.faults.inject("sendMessage", status=502, chat_id=anna.id)
    with pytest.raises(TelegramServerError):
        await bot.send_message(anna.id, "x")
    emu.faults.inject("sendMessage", status=403, times=None)
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(anna.id, "x")
    emu.faults.clear()
    await bot.send_message(anna.id, "ok")
    assert not emu.violations
    assert [c.status for c in emu.calls("sendMessage")] == [429, 200, 502, 403, 403, 200]


async def test_rate_limit_model(emu: Emulator, bot: Bot, anna: TestUser) -> None:
    emu.limiter.enabled = True
    with pytest.raises(TelegramRetryAfter) as info:
        for _ in range(10):
            await bot.send_message(anna.id, "spam")
    assert info.value.retry_after >= 1
    assert len(anna.history) == emu.limiter.private_burst


async def test_documents_photos_files(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    doc = await bot.send_document(
        anna.id,
        BufferedInputFile(b"%PDF-1.4", "справка.pdf"),
        caption="<i>Справка</i>",
        parse_mode="HTML",
    )
    assert doc.document is not None and doc.document.file_name == "справка.pdf"
    assert doc.caption == "Справка" and doc.caption_entities
    again = await bot.send_document(anna.id, doc.document.file_id)  # file_id re-use
    assert again.document is not None and again.document.file_id == doc.document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(anna.id, "no-such-file-id")
    photo = await bot.send_photo(anna.id, BufferedInputFile(b"\xff\xd8", "p.jpg"))
    assert photo.photo
    f = await bot.get_file(doc.document.file_id)
    assert f.file_path
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emu.api_url}/file/bot{bot.token}/{f.file_path}") as r,
    ):
        assert r.status == 200 and await r.read() == b"%PDF-1.4"
    await bot.edit_message_caption(chat_id=anna.id, message_id=photo.message_id, caption="new")
    assert anna.history[-1].text == "new"


async def test_copy_forward_pin_chat_info(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    m = await bot.send_message(anna.id, "оригинал")
    copied = await bot.copy_message(anna.id, anna.id, m.message_id)
    fwd = await bot.forward_message(anna.id, anna.id, m.message_id)
    assert copied.message_id == 2 and fwd.forward_origin is not None
    assert [x.text for x in anna.history] == ["оригинал"] * 3
    assert await bot.pin_chat_message(anna.id, m.message_id)
    chat = await bot.get_chat(anna.id)
    assert chat.type == "private" and chat.first_name == "Анна"
    member = await bot.get_chat_member(anna.id, anna.id)
    assert member.status == "member"
    assert await bot.send_chat_action(anna.id, "typing")
    await bot.delete_messages(anna.id, [1, 2, 3])
    assert anna.history == []


async def test_commands_per_scope(bot: Bot, anna: TestUser) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Начать")])
    await bot.set_my_commands([BotCommand(command="help", description="Help")], language_code="en")
    await bot.set_my_commands(
        [BotCommand(command="admin", description="A")], scope=BotCommandScopeChat(chat_id=anna.id)
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["help"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=anna.id))
    assert [c.command for c in scoped] == ["admin"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_unmodelled_method_answers_plausibly(bot: Bot) -> None:
    assert await bot.set_my_description("Помощь семьям") is True
    info = await bot.get_my_description()
    assert info.description == ""
