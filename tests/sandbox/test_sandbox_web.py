"""The web chat's API without a browser: what a page sends becomes updates for the bot, and
what the bot sends, edits and deletes reaches the page's event stream; reset, export, clock,
and the world saved to disk and loaded again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox import Emulator, TestGroup, TestUser
from sandbox.persist import read_world, write_world
from sandbox.web import WebChat
from tests.helpers import until


@pytest.fixture
async def web() -> AsyncIterator[tuple[Emulator, WebChat]]:
    emu = Emulator()
    chat = WebChat(emu, personas={})
    async with emu:
        emu.add_bot(username="semya_test_bot")
        yield emu, chat


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Stream:
    """The page's server-sent events, read line by line."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                line = (await self.response.content.readline()).decode().strip()
                if line.startswith("data: "):
                    return dict(json.loads(line[6:]))


async def _stream(http: aiohttp.ClientSession, emu: Emulator, user: TestUser) -> Stream:
    response = await http.get(f"{emu.api_url}/web/events", params={"user": str(user.id)})
    assert (await response.content.readline()).startswith(b"event: ready")
    assert await response.content.readline() == b"data: {}\n"
    return Stream(response)


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with http.post(url, json=body) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def _get(http: aiohttp.ClientSession, url: str, **params: Any) -> Any:
    async with http.get(url, params={k: str(v) for k, v in params.items()}) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def test_the_page_and_its_files_are_served(
    web: tuple[Emulator, WebChat], http: aiohttp.ClientSession
) -> None:
    emu, _ = web
    for path in ("/", "/web/static/app.js", "/web/static/style.css"):
        async with http.get(emu.api_url + path) as r:
            assert r.status == 200, path


async def test_what_the_bot_sends_edits_and_deletes_reaches_the_stream(
    web: tuple[Emulator, WebChat], http: aiohttp.ClientSession
) -> None:
    emu, _ = web
    anna = emu.add_user("Анна")
    await anna.send("/start")  # the bot may write to her now
    stream = await _stream(http, emu, anna)
    token = emu.default_token
    keyboard = {"keyboard": [[{"text": "📞 Номер", "request_contact": True}]]}
    status, sent = await emu.call(token, "sendMessage", {
        "chat_id": anna.id, "parse_mode": "HTML", "reply_markup": keyboard,
        "text": '<b>Здравствуйте</b>, <tg-spoiler>тайна</tg-spoiler> <a href="https://x.ru">ссылка</a>',
    })  # fmt: skip
    assert status == 200
    event = await stream.next()
    assert event["type"] == "message" and event["chat"] == anna.id
    message = event["message"]
    assert message["text"].startswith("Здравствуйте, тайна") and message["from_bot"]
    kinds = {e["type"] for e in message["entities"]}
    assert kinds == {"bold", "spoiler", "text_link"}
    assert event["keyboard"] == [[{"text": "📞 Номер", "contact": True}]]

    mid = sent["result"]["message_id"]
    await emu.call(
        token, "editMessageText", {"chat_id": anna.id, "message_id": mid, "text": "Вновь"}
    )
    edited = await stream.next()
    assert edited["type"] == "edit" and edited["message"]["text"] == "Вновь"
    assert edited["message"]["edited"]
    await emu.call(token, "deleteMessage", {"chat_id": anna.id, "message_id": mid})
    deleted = await stream.next()
    assert deleted["type"] == "delete" and deleted["message"]["id"] == mid
    stream.response.close()

    history = await _get(http, f"{emu.api_url}/web/api/history", user=anna.id)
    assert [m["text"] for m in history["messages"]] == ["/start"]


async def test_text_buttons_contact_and_files_from_the_page_reach_the_bot(
    web: tuple[Emulator, WebChat], http: aiohttp.ClientSession
) -> None:
    emu, _ = web
    anna = emu.add_user("Анна")
    api = f"{emu.api_url}/web/api"
    await _post(http, f"{api}/send", {"user": anna.id, "text": "/start"})
    token = emu.default_token
    markup = {"inline_keyboard": [[{"text": "Русский", "callback_data": "lang:ru"}]]}
    _, sent = await emu.call(
        token, "sendMessage", {"chat_id": anna.id, "text": "Язык?", "reply_markup": markup}
    )
    mid = sent["result"]["message_id"]

    async def bot_answers() -> None:
        await until(lambda: emu.world.callbacks, what="the callback query")
        [cb_id] = emu.world.callbacks
        await emu.call(token, "answerCallbackQuery", {"callback_query_id": cb_id, "text": "Ок"})

    answering = asyncio.create_task(bot_answers())
    pressed = await _post(
        http, f"{api}/press", {"user": anna.id, "message_id": mid, "data": "lang:ru"}
    )
    await answering
    assert pressed == {"answer": "Ок", "alert": False}

    contact = await _post(http, f"{api}/contact", {"user": anna.id})
    assert contact["contact"]["phone"].startswith("+7")
    form = aiohttp.FormData(quote_fields=False)  # as a browser sends a file name: UTF-8
    form.add_field("user", str(anna.id))
    form.add_field("kind", "document")
    form.add_field("caption", "справка")
    form.add_field("file", b"%PDF-1.4 test", filename="справка.pdf", content_type="application/pdf")
    async with http.post(f"{api}/upload", data=form) as r:
        document = await r.json()
    assert document["media"]["name"] == "справка.pdf" and document["text"] == "справка"
    async with http.get(emu.api_url + document["media"]["url"]) as r:
        assert await r.read() == b"%PDF-1.4 test"
    voice = aiohttp.FormData({"user": str(anna.id), "kind": "voice"})
    async with http.post(f"{api}/upload", data=voice) as r:
        assert (await r.json())["media"]["kind"] == "voice"

    _, got = await emu.call(token, "getUpdates", {})
    kinds = [next(k for k in u if k != "update_id") for u in got["result"]]
    assert kinds == ["message", "callback_query", "message", "message", "message"]
    messages = [u["message"] for u in got["result"] if "message" in u]
    shown = [next(k for k in ("text", "contact", "document", "voice") if k in m) for m in messages]
    assert shown == ["text", "contact", "document", "voice"]


async def test_a_specialist_sees_the_forum_and_writes_in_a_topic(
    web: tuple[Emulator, WebChat], http: aiohttp.ClientSession
) -> None:
    emu, _ = web
    olga = emu.add_user("Ольга")
    outsider = emu.add_user("Анна")
    group: TestGroup = emu.add_forum_group("Кризисная служба", members=[olga])
    _, topic = await emu.call(
        emu.default_token, "createForumTopic", {"chat_id": group.id, "name": "#1 · Кризис"}
    )
    thread = topic["result"]["message_thread_id"]
    api = f"{emu.api_url}/web/api"
    chats = (await _get(http, f"{api}/chats", user=olga.id))["chats"]
    assert [c["kind"] for c in chats] == ["private", "forum"]
    assert chats[1]["topics"] == [{"id": thread, "name": "#1 · Кризис", "closed": False}]
    assert len((await _get(http, f"{api}/chats", user=outsider.id))["chats"]) == 1

    body = {"user": olga.id, "chat": group.id, "thread": thread, "text": "Здравствуйте"}
    await _post(http, f"{api}/send", body)
    history = await _get(http, f"{api}/history", user=olga.id, chat=group.id, thread=thread)
    assert [m["service"] or m["text"] for m in history["messages"]] == [
        "Тема создана · Topic created: #1 · Кризис",
        "Здравствуйте",
    ]
    assert history["messages"][1]["mine"] and history["keyboard"] is None
    async with http.post(
        f"{api}/send", json={"user": outsider.id, "chat": group.id, "text": "я не отсюда"}
    ) as r:
        assert r.status == 404  # not a member: the group is not hers to write in


async def test_reset_export_and_the_clock(
    web: tuple[Emulator, WebChat], http: aiohttp.ClientSession
) -> None:
    emu, _ = web
    anna = emu.add_user("Анна")
    api = f"{emu.api_url}/web/api"
    await _post(http, f"{api}/send", {"user": anna.id, "text": "Помогите с документами"})
    async with http.get(f"{api}/export", params={"user": str(anna.id)}) as r:
        assert "attachment" in r.headers["Content-Disposition"]
        transcript = await r.text()
    assert "Анна: Помогите с документами" in transcript

    assert (await _post(http, f"{api}/clock", {"seconds": 3600}))["clock_offset"] == 3600
    assert (await _post(http, f"{api}/clock", {"seconds": 86400}))["clock_offset"] == 90000
    async with http.post(f"{api}/clock", json={"seconds": -5}) as r:
        assert r.status == 400

    stream = await _stream(http, emu, anna)
    await _post(http, f"{api}/reset", {})
    assert (await stream.next())["type"] == "reset"
    stream.response.close()
    assert (await _get(http, f"{api}/history", user=anna.id))["messages"] == []
    assert (await _get(http, f"{api}/personas"))["clock_offset"] == 0


async def test_the_world_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    async with Emulator() as emu:
        token = emu.add_bot(username="semya_test_bot")
        anna = emu.add_user("Анна", user_id=700_000_001)
        olga = emu.add_user("Ольга")
        group = emu.add_forum_group("Семейная поддержка", members=[olga])
        _, topic = await emu.call(token, "createForumTopic", {"chat_id": group.id, "name": "#1"})
        thread = topic["result"]["message_thread_id"]
        await anna.send("/start")
        await group.send(olga, "в теме", thread_id=thread)
        await anna.send_photo(caption="фото")
        write_world(emu.world, path)
        before = (dict(anna.chat.messages), dict(group.chat.messages))

    async with Emulator() as again:
        read_world(again.world, path)
        again.adopt_world()
        assert again.default_token == token
        anna2, group2 = again.test_users[anna.id], again.test_groups[group.id]
        assert (anna2.chat.messages, group2.chat.messages) == before
        assert group2.topics[thread].name == "#1"
        photo = anna2.chat.messages[2]["photo"][-1]["file_id"]
        assert again.world.files[photo].data.startswith(b"\xff\xd8")
        # New messages and people continue the saved numbering.
        assert (await anna2.send("ещё"))["message_id"] == 3
        assert again.add_user("Новый").id not in (anna.id, olga.id)
