"""The runner's queue: one chat at a time and in order, chats take turns."""

from __future__ import annotations

import asyncio

from aiogram.types import Update

from bot.runner import FairQueue, Item, chat_key


def _item(update_id: int, chat: str) -> Item:
    return Item(Update(update_id=update_id), chat)


async def test_chats_take_turns_and_one_chat_is_never_handled_twice_at_once() -> None:
    queue = FairQueue()
    for n in range(5):
        queue.put(_item(n, "flood"))
    queue.put(_item(100, "anna"))
    queue.put(_item(101, "boris"))

    first = await queue.get()
    assert (first.update.update_id, first.chat) == (0, "flood")
    # While the flooder's update is handled, the next ones go to the other chats.
    second, third = await queue.get(), await queue.get()
    assert {second.chat, third.chat} == {"anna", "boris"}
    assert queue.backlog("flood") == 4
    nothing = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not nothing.done(), "the flooder's next update must wait for its first one"
    queue.done(first)
    assert (await nothing).update.update_id == 1  # in order


async def test_a_chat_that_returns_goes_to_the_back_of_the_line() -> None:
    queue = FairQueue()
    queue.put(_item(1, "a"))
    queue.put(_item(2, "a"))
    queue.put(_item(3, "b"))
    a1 = await queue.get()
    queue.done(a1)  # "a" has more, but "b" has waited longer
    assert (await queue.get()).chat == "b"
    assert (await queue.get()).update.update_id == 2


def test_the_ordering_key_is_the_chat_or_the_forum_topic() -> None:
    private = Update.model_validate(
        {"update_id": 1, "message": {"message_id": 5, "date": 0,
         "chat": {"id": 42, "type": "private"}, "text": "hi"}}
    )  # fmt: skip
    topic = Update.model_validate(
        {"update_id": 2, "message": {"message_id": 6, "date": 0, "message_thread_id": 9,
         "chat": {"id": -100, "type": "supergroup", "is_forum": True}, "text": "hi"}}
    )  # fmt: skip
    button = Update.model_validate(
        {"update_id": 3, "callback_query": {"id": "q", "chat_instance": "c", "data": "x",
         "from": {"id": 42, "is_bot": False, "first_name": "A"},
         "message": {"message_id": 5, "date": 0, "chat": {"id": 42, "type": "private"}}}}
    )  # fmt: skip
    assert chat_key(private) == "c42" == chat_key(button)
    assert chat_key(topic) == "c-100:9"
    assert chat_key(Update(update_id=7)) == "x7"
