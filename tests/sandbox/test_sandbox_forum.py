"""Forum supergroups and topics."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from sandbox import Emulator


async def test_topics_lifecycle(bot: Bot, emu: Emulator) -> None:
    spec = emu.add_user(first_name="Ольга")
    group = emu.add_forum_group(title="Очередь: жильё", members=[spec])
    topic = await bot.create_forum_topic(group.id, "Заявка №1")
    tid = topic.message_thread_id
    assert group.topics[tid].name == "Заявка №1" and not group.topics[tid].closed
    assert group.history[0].raw["forum_topic_created"]["name"] == "Заявка №1"

    m = await bot.send_message(group.id, "Новая заявка", message_thread_id=tid)
    assert m.message_thread_id == tid and m.is_topic_message
    seen = await group.wait_message(thread_id=tid, contains="Новая")
    assert seen.thread_id == tid

    await group.send(spec, "Беру", thread_id=tid)
    updates = await bot.get_updates(timeout=0)
    msg = updates[-1].message
    assert msg is not None and msg.message_thread_id == tid and msg.is_topic_message

    assert await bot.edit_forum_topic(group.id, tid, name="Заявка №1 (в работе)")
    assert await bot.close_forum_topic(group.id, tid)
    assert group.topics[tid].closed
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(group.id, "в закрытую", message_thread_id=tid)
    assert await bot.reopen_forum_topic(group.id, tid)
    await bot.send_message(group.id, "снова открыта", message_thread_id=tid)
    with pytest.raises(TelegramBadRequest, match="TOPIC_ID_INVALID"):
        await bot.close_forum_topic(group.id, 9999)
    with pytest.raises(TelegramBadRequest, match="TOPIC_TITLE_INVALID"):
        await bot.create_forum_topic(group.id, "x" * 129)
    assert await bot.delete_forum_topic(group.id, tid)
    assert tid not in group.topics


async def test_not_a_forum(bot: Bot, emu: Emulator) -> None:
    plain = emu.add_group(title="Обычная группа")
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(plain.id, "x")
    anna = emu.add_user()
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(anna.id, "x")
    m1 = await bot.send_message(plain.id, "в группу")
    assert m1.chat.type == "group" and m1.message_id == 1


async def test_group_message_counters_are_separate(bot: Bot, emu: Emulator) -> None:
    g1 = emu.add_forum_group(title="A")
    g2 = emu.add_forum_group(title="B")
    t = await bot.create_forum_topic(g1.id, "t")
    assert t.message_thread_id == 2  # 1 is the General topic
    assert (await bot.send_message(g1.id, "x")).message_id == 3
    assert (await bot.send_message(g2.id, "x")).message_id == 2
    assert (await bot.send_message(g2.id, "x", message_thread_id=1)).message_id == 3
