"""Albums (both ways), media in forum topics, copies into topics, edits by people."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    Update,
)

from sandbox import Emulator, TestUser


def photo(i: int, caption: str | None = None) -> InputMediaPhoto:
    return InputMediaPhoto(
        media=BufferedInputFile(b"\xff\xd8" + bytes([i]), f"p{i}.jpg"), caption=caption
    )


def messages(updates: list[Update]) -> list[Message]:
    return [u.message for u in updates if u.message is not None]


async def test_user_album_arrives_as_separate_updates(bot: Bot, anna: TestUser) -> None:
    sent = await anna.send_album(3, caption="Справки")
    assert len(sent) == 3
    got = messages(await bot.get_updates(timeout=0))
    assert [m.message_id for m in got] == [m["message_id"] for m in sent] == [1, 2, 3]
    group_ids = {m.media_group_id for m in got}
    assert len(group_ids) == 1 and None not in group_ids
    assert [m.caption for m in got] == ["Справки", None, None]
    assert all(m.photo for m in got)
    assert [m.media_group_id for m in anna.history] == [got[0].media_group_id] * 3

    docs = await anna.send_album(2, kind="document")
    assert docs[0]["media_group_id"] != sent[0]["media_group_id"]
    assert [d["document"]["file_name"] for d in docs] == ["document_1.pdf", "document_2.pdf"]
    for count, kind in ((1, "photo"), (11, "photo"), (2, "voice")):
        with pytest.raises(ValueError):
            await anna.send_album(count, kind)


async def test_send_media_group(bot: Bot, anna: TestUser, emu: Emulator) -> None:
    first = await bot.send_photo(anna.id, BufferedInputFile(b"\xff\xd8", "a.jpg"))
    assert first.photo
    album = await bot.send_media_group(
        anna.id,
        [
            photo(1, caption="<b>Заявка</b>"),
            InputMediaPhoto(media=first.photo[-1].file_id),  # a file_id re-used
            InputMediaVideo(media=BufferedInputFile(b"mp4", "v.mp4")),
        ],
    )
    assert [m.message_id for m in album] == [2, 3, 4]
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id
    assert album[1].photo and album[1].photo[-1].file_id == first.photo[-1].file_id
    assert album[2].video is not None
    assert [m.caption for m in album] == ["<b>Заявка</b>", None, None]  # no parse_mode given
    assert [m.media_group_id for m in anna.history][1:] == [album[0].media_group_id] * 3
    json.dumps([c.to_json() for c in emu.calls("sendMediaGroup")])  # uploads logged as <file>


@pytest.mark.parametrize(
    ("media", "match"),
    [
        ([photo(1)], "media group must include 2-10 items"),
        ([photo(i) for i in range(11)], "too many messages to send as an album"),
        (
            [photo(1), InputMediaDocument(media=BufferedInputFile(b"%PDF", "a.pdf"))],
            "document can't be mixed with other media types",
        ),
        ([photo(1), photo(2, caption="c" * 1025)], "message caption is too long"),
        ([photo(1), InputMediaPhoto(media="no-such-file-id")], "wrong file identifier"),
    ],
)
async def test_send_media_group_limits(
    bot: Bot, anna: TestUser, emu: Emulator, media: list[InputMediaPhoto], match: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=match):
        await bot.send_media_group(anna.id, media)  # type: ignore[arg-type]
    assert anna.history == []  # nothing of a rejected album is sent
    assert emu.violations[-1].method == "sendMediaGroup"


async def test_documents_album_and_album_in_topic(bot: Bot, emu: Emulator) -> None:
    group = emu.add_forum_group(title="Очередь")
    tid = (await bot.create_forum_topic(group.id, "Заявка")).message_thread_id
    docs = [InputMediaDocument(media=BufferedInputFile(b"%PDF", f"{i}.pdf")) for i in range(2)]
    album = await bot.send_media_group(group.id, docs, message_thread_id=tid)  # type: ignore[arg-type]
    assert [m.message_thread_id for m in album] == [tid, tid]
    assert [m.document.file_name for m in album if m.document] == ["0.pdf", "1.pdf"]
    seen = await group.wait_message(thread_id=tid)
    assert seen.media_group_id == album[0].media_group_id


async def test_media_from_people_in_forum_topics(bot: Bot, emu: Emulator) -> None:
    olga = emu.add_user(first_name="Ольга")
    group = emu.add_forum_group(title="Очередь: жильё", members=[olga])
    tid = (await bot.create_forum_topic(group.id, "Заявка №1")).message_thread_id
    await group.send_photo(olga, caption="фото квартиры", thread_id=tid)
    await group.send_voice(olga, thread_id=tid)
    await group.send_document(olga, file_name="акт.pdf", thread_id=tid)
    album = await group.send_album(olga, 2, thread_id=tid)
    await group.send_photo(olga)  # General topic
    got = messages(await bot.get_updates(timeout=0))
    in_topic = [m for m in got if m.message_thread_id == tid]
    assert len(in_topic) == 5 and all(m.is_topic_message for m in in_topic)
    assert in_topic[0].photo and in_topic[0].caption == "фото квартиры"
    assert in_topic[1].voice is not None
    assert in_topic[2].document is not None and in_topic[2].document.file_name == "акт.pdf"
    assert {m.media_group_id for m in in_topic[3:]} == {album[0]["media_group_id"]}
    assert got[-1].message_thread_id is None and got[-1].photo
    with pytest.raises(AssertionError, match="no topic 999"):
        await group.send_photo(olga, thread_id=999)


async def test_copy_into_forum_topic(bot: Bot, emu: Emulator, anna: TestUser) -> None:
    group = emu.add_forum_group(title="Очередь")
    tid = (await bot.create_forum_topic(group.id, "Анна")).message_thread_id
    src = await anna.send_photo(caption="справка")
    copied = await bot.copy_message(group.id, anna.id, src["message_id"], message_thread_id=tid)
    seen = await group.wait_message(thread_id=tid, contains="справка")
    assert seen.message_id == copied.message_id and seen.raw["photo"] == src["photo"]
    assert seen.raw["is_topic_message"] is True and "media_group_id" not in seen.raw

    album = await anna.send_album(2)
    ids = [src["message_id"], *(m["message_id"] for m in album)]
    copies = await bot.copy_messages(group.id, anna.id, ids, message_thread_id=tid)
    assert len(copies) == 3
    stored = [group.chat.messages[c.message_id] for c in copies]
    assert all(m["message_thread_id"] == tid for m in stored)
    assert "media_group_id" not in stored[0]
    new_gid = stored[1]["media_group_id"]
    assert new_gid == stored[2]["media_group_id"] != album[0]["media_group_id"]
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.copy_message(group.id, anna.id, src["message_id"], message_thread_id=777)


async def test_people_edit_their_messages(bot: Bot, emu: Emulator, anna: TestUser) -> None:
    m = await anna.send("Нужна помощь")
    edited = await anna.edit(m["message_id"], "/help с жильём")
    assert edited["edit_date"] >= edited["date"] and edited["message_id"] == m["message_id"]
    assert edited["entities"][0]["type"] == "bot_command"
    updates = await bot.get_updates(timeout=0)
    last = updates[-1].edited_message
    assert last is not None and last.text == "/help с жильём" and last.edit_date
    assert updates[-1].message is None
    assert anna.history[0].text == "/help с жильём" and anna.history[0].edited

    pic = await anna.send_photo(caption="было")
    await anna.edit(pic["message_id"], "стало")
    assert anna.history[-1].text == "стало" and anna.history[-1].raw["photo"]
    with pytest.raises(AssertionError, match="already says"):
        await anna.edit(pic["message_id"], "стало")
    own = await bot.send_message(anna.id, "от бота")
    with pytest.raises(AssertionError, match="not written by"):
        await anna.edit(own.message_id, "подмена")
    with pytest.raises(AssertionError, match="no message #99"):
        await anna.edit(99, "x")

    olga = emu.add_user(first_name="Ольга")
    group = emu.add_forum_group(members=[olga])
    tid = (await bot.create_forum_topic(group.id, "t")).message_thread_id
    gm = await group.send(olga, "беру", thread_id=tid)
    await group.edit(olga, gm["message_id"], "беру в работу")
    upd = (await bot.get_updates(timeout=0))[-1].edited_message
    assert upd is not None and upd.text == "беру в работу" and upd.message_thread_id == tid
    # Edits by people are not bot message events: waiting for the bot skips them.
    with pytest.raises(AssertionError):
        await group.wait_message(thread_id=tid, contains="в работу", timeout=0.05)
