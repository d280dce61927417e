"""Deleting messages as Telegram allows a bot: the 48-hour window, who may delete what."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from sandbox import Emulator, TestUser

HOUR = 3600
CANT_FOR_EVERYONE = "message can't be deleted for everyone"
CANT = r"message can't be deleted$"  # the supergroup refusal, without "for everyone"


async def bot_member(emu: Emulator, chat_id: int) -> dict[str, Any]:
    """getChatMember for the bot itself, raw: aiogram 3.31 parses Bot API 10.3 and wants
    ChatMemberAdministrator.can_send_welcome_messages, which the vendored 10.1 spec lacks."""
    token = emu.default_token
    status, body = await emu.call(
        token, "getChatMember", {"chat_id": chat_id, "user_id": int(token.split(":")[0])}
    )
    assert status == 200, body
    result: dict[str, Any] = body["result"]
    return result


def ids(user: TestUser) -> list[int]:
    return [m.message_id for m in user.history]


async def test_private_chat_deletes_both_sides_within_48_hours(
    bot: Bot, anna: TestUser, emu: Emulator
) -> None:
    mine = await bot.send_message(anna.id, "ответ бота")
    theirs = await anna.send("просьба")
    assert anna.age_messages(47 * HOUR) == 2
    assert await bot.delete_message(anna.id, theirs["message_id"])  # incoming
    assert await bot.delete_message(anna.id, mine.message_id)  # outgoing
    assert anna.history == []

    old_bot = await bot.send_message(anna.id, "старое")
    old_user = await anna.send("старое тоже")
    assert emu.world.age_messages(anna.id, 48 * HOUR + 60) == 2
    for mid in (old_bot.message_id, old_user["message_id"]):
        with pytest.raises(TelegramBadRequest, match=CANT_FOR_EVERYONE):
            await bot.delete_message(anna.id, mid)
    assert ids(anna) == [old_bot.message_id, old_user["message_id"]]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(anna.id, 999)


async def test_age_messages_moves_dates_back(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    m = await bot.send_message(anna.id, "x")
    await bot.edit_message_text("y", chat_id=anna.id, message_id=m.message_id)
    other = await anna.send("z")
    before = dict(anna.chat.messages[m.message_id])
    assert anna.age_messages(100, [m.message_id]) == 1
    after = anna.chat.messages[m.message_id]
    assert after["date"] == before["date"] - 100
    assert after["edit_date"] == before["edit_date"] - 100
    assert anna.chat.messages[other["message_id"]]["date"] == other["date"]
    assert before is not after  # stored messages are replaced, never mutated
    assert emu.world.age_messages(-1, 10) == 0  # no such group
    with pytest.raises(ValueError):
        anna.age_messages(-5)


async def test_delete_messages_skips_missing_but_refuses_undeletable(
    bot: Bot, anna: TestUser
) -> None:
    a = await bot.send_message(anna.id, "a")
    b = await anna.send("b")
    assert await bot.delete_messages(anna.id, [a.message_id, 777, b["message_id"]])
    assert anna.history == []

    old = await bot.send_message(anna.id, "старое")
    anna.age_messages(49 * HOUR)
    fresh = await bot.send_message(anna.id, "свежее")
    # Like TDLib: every found message is checked first, so one that is too old fails the
    # whole call and nothing is deleted.
    with pytest.raises(TelegramBadRequest, match=CANT_FOR_EVERYONE):
        await bot.delete_messages(anna.id, [fresh.message_id, old.message_id])
    assert ids(anna) == [old.message_id, fresh.message_id]
    assert await bot.delete_messages(anna.id, [fresh.message_id])
    with pytest.raises(TelegramBadRequest, match="message identifiers are not specified"):
        await bot.delete_messages(anna.id, [])
    with pytest.raises(TelegramBadRequest, match="too many message identifiers"):
        await bot.delete_messages(anna.id, list(range(1, 102)))


async def test_dice_in_private_chat_stays_for_a_day(bot: Bot, anna: TestUser) -> None:
    dice = await bot.send_dice(anna.id)
    with pytest.raises(TelegramBadRequest, match=CANT_FOR_EVERYONE):
        await bot.delete_message(anna.id, dice.message_id)
    anna.age_messages(25 * HOUR)
    assert await bot.delete_message(anna.id, dice.message_id)


async def test_basic_group_rights(bot: Bot, emu: Emulator) -> None:
    olga = emu.add_user(first_name="Ольга")
    group = emu.add_group(title="Семьи", members=[olga], bot_is_admin=False)
    own = await bot.send_message(group.id, "от бота")
    theirs = await group.send(olga, "от Ольги")
    with pytest.raises(TelegramBadRequest, match=CANT_FOR_EVERYONE):
        await bot.delete_message(group.id, theirs["message_id"])
    assert await bot.delete_message(group.id, own.message_id)
    group.set_bot_admin()  # an administrator of a basic group may delete any message
    assert await bot.delete_message(group.id, theirs["message_id"])
    late = await group.send(olga, "давно")
    group.age_messages(48 * HOUR + 1)
    with pytest.raises(TelegramBadRequest, match=CANT_FOR_EVERYONE):
        await bot.delete_message(group.id, late["message_id"])


async def test_supergroup_rights(bot: Bot, emu: Emulator) -> None:
    olga = emu.add_user(first_name="Ольга")
    group = emu.add_forum_group(
        title="Очередь", members=[olga], bot_rights={"can_delete_messages": False}
    )
    member = await bot_member(emu, group.id)
    assert member["status"] == "administrator" and member["can_delete_messages"] is False
    tid = (await bot.create_forum_topic(group.id, "Заявка")).message_thread_id
    own = await bot.send_message(group.id, "от бота", message_thread_id=tid)
    theirs = await group.send(olga, "от Ольги", thread_id=tid)
    with pytest.raises(TelegramBadRequest, match=CANT):
        await bot.delete_message(group.id, theirs["message_id"])
    with pytest.raises(TelegramBadRequest, match=CANT):
        await bot.delete_messages(group.id, [own.message_id, theirs["message_id"]])
    assert own.message_id in group.chat.messages  # the refused batch deleted nothing
    assert await bot.delete_message(group.id, own.message_id)

    group.set_bot_admin()  # all rights
    assert (await bot_member(emu, group.id))["can_delete_messages"] is True
    assert await bot.delete_message(group.id, theirs["message_id"])
    with pytest.raises(TelegramBadRequest, match=CANT):
        await bot.delete_message(group.id, tid)  # the topic's creation message
    old = await bot.send_message(group.id, "давно", message_thread_id=tid)
    group.age_messages(48 * HOUR, [old.message_id])
    with pytest.raises(TelegramBadRequest, match=CANT):
        await bot.delete_message(group.id, old.message_id)

    group.set_bot_admin(False)
    assert (await bot_member(emu, group.id))["status"] == "member"
    mine = await bot.send_message(group.id, "своё")
    assert await bot.delete_message(group.id, mine.message_id)
    with pytest.raises(ValueError, match="can_fly"):
        group.set_bot_admin(can_fly=True)
    with pytest.raises(ValueError, match="can_fly"):
        emu.add_forum_group(bot_rights={"can_fly": True})
