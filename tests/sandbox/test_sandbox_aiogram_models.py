"""What the emulator answers must parse with aiogram's own models, and what aiogram sends must
pass the emulator's validation.

aiogram follows a newer Bot API (``aiogram.__api_version__``) than the vendored spec may be; a
field that became required there and that the emulator leaves out makes aiogram fail to parse
the whole answer (``bot.get_chat_member()`` on an administrator once did). The raw JSON results
are parsed here with aiogram's pydantic models, so such a mismatch fails in these tests rather
than in the bot.
"""

from __future__ import annotations

import json
from typing import Any

import aiogram
import aiogram.methods
import aiogram.types
import aiohttp
import pytest
from aiogram import Bot
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    CallbackQuery,
    ChatAdministratorRights,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    ChatMemberUpdated,
    DisabledButton,
    ForumTopic,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestChat,
    Message,
    ReplyKeyboardMarkup,
    ReplyParameters,
    Update,
    User,
)
from aiogram.types.chat_member_union import ChatMemberUnion
from pydantic import BaseModel, TypeAdapter

from sandbox import Emulator, TestUser
from sandbox.spec import DEFAULT_SPEC_PATH, load_spec

spec = load_spec()
_MEMBERS: TypeAdapter[ChatMemberUnion] = TypeAdapter(ChatMemberUnion)

# Methods of aiogram's Bot API version the vendored spec does not have: the emulator answers
# them 404 (the bot uses none of them). A method missing from both lists fails the test below.
_NOT_IN_SPEC = {
    "deleteEphemeralMessage",
    "editEphemeralMessageCaption",
    "editEphemeralMessageMedia",
    "editEphemeralMessageReplyMarkup",
    "editEphemeralMessageText",
}


async def raw_call(emu: Emulator, token: str, method: str, **params: Any) -> Any:
    """The JSON ``result`` of a call, as Telegram's answer is before any client parses it."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emu.api_url}/bot{token}/{method}", json=params) as resp,
    ):
        body = await resp.json()
    assert body["ok"], body
    return body["result"]


def _aiogram_methods() -> dict[str, type[TelegramMethod[Any]]]:
    out: dict[str, type[TelegramMethod[Any]]] = {}
    for name in dir(aiogram.methods):
        cls = getattr(aiogram.methods, name)
        if isinstance(cls, type) and issubclass(cls, TelegramMethod) and cls is not TelegramMethod:
            api_name = getattr(cls, "__api_method__", None)
            if isinstance(api_name, str):
                out[api_name] = cls
    return out


def _required(model: type[BaseModel]) -> set[str]:
    return {f.alias or n for n, f in model.model_fields.items() if f.is_required()}


# == the spec against aiogram ===========================================================


def test_spec_requires_all_that_aiogram_requires() -> None:
    """Every field aiogram requires is one the (amended) spec requires too, so the emulator,
    which builds its objects from the spec's required fields, never leaves one out."""
    gaps = []
    for name, t in spec.types.items():
        model = getattr(aiogram.types, name, None)
        if "subtypes" in t or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue  # a union (MenuButton): its subtypes are checked one by one
        required = {f["name"] for f in t.get("fields", []) if f.get("required")}
        gaps += [f"{name}.{field}" for field in sorted(_required(model) - required)]
    assert not gaps, (
        f"aiogram (Bot API {aiogram.__api_version__}) requires fields the spec "
        f"({spec.version}) does not: {gaps}; vendor a newer api.json or extend "
        "sandbox.spec.ADDITIONS"
    )


def test_additions_fill_only_what_the_vendored_file_lacks() -> None:
    with open(DEFAULT_SPEC_PATH, encoding="utf-8") as fh:
        raw = json.load(fh)
    assert "ChatMemberAdministrator.can_send_welcome_messages" in spec.additions
    for added in spec.additions:
        owner, _, field = added.partition(".")
        entry = raw["types"].get(owner) or raw["methods"].get(owner)
        if not field:
            assert owner not in raw["types"]
            continue
        assert entry is not None, added
        assert field not in {f["name"] for f in entry.get("fields", [])}, added


def test_every_aiogram_method_is_in_the_spec_and_its_generic_answer_parses() -> None:
    methods = _aiogram_methods()
    missing = sorted(m for m in methods if spec.method(m) is None)
    assert missing == sorted(_NOT_IN_SPEC)
    for name, cls in sorted(methods.items()):
        mspec = spec.method(name)
        if mspec is None:
            continue
        answer = True if "Boolean" in mspec.returns else spec.minimal(mspec.returns[0])
        TypeAdapter(cls.__returning__).validate_python(answer)


# == what the emulator returns =========================================================


async def test_get_me_and_get_chat_parse(emu: Emulator, token: str, anna: TestUser) -> None:
    me = User.model_validate(await raw_call(emu, token, "getMe"))
    assert me.is_bot and me.can_join_groups is not None

    group = emu.add_group("Группа", members=[anna])
    supergroup = emu.add_group("Супергруппа", members=[anna], supergroup=True, username="sg")
    forum = emu.add_forum_group("Форум", members=[anna])
    for chat_id, kind in (
        (anna.id, "private"),
        (group.id, "group"),
        (supergroup.id, "supergroup"),
        (forum.id, "supergroup"),
    ):
        info = ChatFullInfo.model_validate(await raw_call(emu, token, "getChat", chat_id=chat_id))
        assert info.id == chat_id and info.type == kind
    pinned = await raw_call(emu, token, "sendMessage", chat_id=group.id, text="Важно")
    await raw_call(emu, token, "pinChatMessage", chat_id=group.id, message_id=pinned["message_id"])
    info = ChatFullInfo.model_validate(await raw_call(emu, token, "getChat", chat_id=group.id))
    assert info.pinned_message is not None and info.pinned_message.text == "Важно"


async def test_get_chat_member_parses_for_every_status(emu: Emulator, token: str) -> None:
    people = {
        status: emu.add_user(first_name=status)
        for status in ("member", "administrator", "creator", "restricted", "kicked")
    }
    stranger = emu.add_user(first_name="left")
    forum = emu.add_forum_group("Очередь", bot_rights={"can_delete_messages": False})
    for status, person in people.items():
        forum.add_member(person, status)
    expected: dict[int, type[BaseModel]] = {
        people["member"].id: ChatMemberMember,
        people["administrator"].id: ChatMemberAdministrator,
        people["creator"].id: ChatMemberOwner,
        people["restricted"].id: ChatMemberRestricted,
        people["kicked"].id: ChatMemberBanned,
        stranger.id: ChatMemberLeft,
    }
    for user_id, model in expected.items():
        raw = await raw_call(emu, token, "getChatMember", chat_id=forum.id, user_id=user_id)
        member = model.model_validate(raw)
        assert isinstance(_MEMBERS.validate_python(raw), model)
        assert member.user.id == user_id  # type: ignore[attr-defined]

    restricted = ChatMemberRestricted.model_validate(
        await raw_call(
            emu, token, "getChatMember", chat_id=forum.id, user_id=people["restricted"].id
        )
    )
    assert restricted.is_member and not restricted.can_send_messages

    # The bot itself, an administrator with one right taken away.
    bot_id = int(token.split(":")[0])
    raw = await raw_call(emu, token, "getChatMember", chat_id=forum.id, user_id=bot_id)
    admin = ChatMemberAdministrator.model_validate(raw)
    assert admin.user.id == bot_id and admin.user.is_bot
    assert admin.can_delete_messages is False and admin.can_send_welcome_messages is True
    assert admin.can_manage_topics and admin.can_pin_messages  # a supergroup's rights
    assert admin.can_post_messages is None  # a channel's right

    admins = await raw_call(emu, token, "getChatAdministrators", chat_id=forum.id)
    assert {type(_MEMBERS.validate_python(m)) for m in admins} == {
        ChatMemberAdministrator,
        ChatMemberOwner,
    }
    assert len(admins) == 3

    forum.set_bot_admin(False)
    raw = await raw_call(emu, token, "getChatMember", chat_id=forum.id, user_id=bot_id)
    assert isinstance(_MEMBERS.validate_python(raw), ChatMemberMember)

    basic = emu.add_group("Группа")
    raw = await raw_call(emu, token, "getChatMember", chat_id=basic.id, user_id=bot_id)
    admin = ChatMemberAdministrator.model_validate(raw)
    assert admin.can_pin_messages and admin.can_manage_topics is None


async def test_aiogram_reads_the_bots_administrator_rights(bot: Bot, emu: Emulator) -> None:
    forum = emu.add_forum_group("Очередь", bot_rights={"can_pin_messages": False})
    me = await bot.get_me()
    member = await bot.get_chat_member(forum.id, me.id)
    assert isinstance(member, ChatMemberAdministrator)
    assert member.can_manage_topics and member.can_pin_messages is False


async def test_sent_messages_and_topics_parse(emu: Emulator, token: str, anna: TestUser) -> None:
    keyboard = {"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]}
    first = Message.model_validate(
        await raw_call(
            emu, token, "sendMessage", chat_id=anna.id, text="<b>Привет</b>", parse_mode="HTML"
        )
    )
    reply = Message.model_validate(
        await raw_call(
            emu,
            token,
            "sendMessage",
            chat_id=anna.id,
            text="Ответ",
            reply_markup=keyboard,
            reply_parameters={"message_id": first.message_id},
        )
    )
    assert reply.reply_to_message is not None and reply.reply_markup is not None

    forum = emu.add_forum_group("Очередь", members=[anna])
    topic = ForumTopic.model_validate(
        await raw_call(emu, token, "createForumTopic", chat_id=forum.id, name="#1 · Анна")
    )
    in_topic = Message.model_validate(
        await raw_call(
            emu,
            token,
            "sendMessage",
            chat_id=forum.id,
            text="Карточка",
            message_thread_id=topic.message_thread_id,
        )
    )
    assert in_topic.message_thread_id == topic.message_thread_id and in_topic.is_topic_message
    copied = await raw_call(
        emu,
        token,
        "copyMessage",
        chat_id=anna.id,
        from_chat_id=forum.id,
        message_id=in_topic.message_id,
    )
    assert copied["message_id"]
    assert Message.model_validate(
        await raw_call(
            emu,
            token,
            "forwardMessage",
            chat_id=anna.id,
            from_chat_id=forum.id,
            message_id=in_topic.message_id,
        )
    ).forward_origin


async def test_updates_parse(emu: Emulator, token: str, anna: TestUser) -> None:
    await raw_call(
        emu,
        token,
        "sendMessage",
        chat_id=anna.id,
        text="Выберите",
        reply_markup={"inline_keyboard": [[{"text": "Да", "callback_data": "yes"}]]},
    )
    await anna.send("/start")
    await anna.click("Да")
    await anna.send_photo(caption="Справка")
    await anna.send_document()
    await anna.send_voice()
    await anna.share_contact(phone="+79990001122")
    anna.block()
    anna.unblock()
    group = emu.add_forum_group("Очередь", members=[anna])
    topic = await raw_call(emu, token, "createForumTopic", chat_id=group.id, name="Тема")
    await group.send(anna, "в теме", thread_id=topic["message_thread_id"])

    raw = await raw_call(emu, token, "getUpdates", timeout=0)
    updates = [Update.model_validate(u) for u in raw]
    kinds = [next(k for k in u if k != "update_id") for u in raw]
    assert kinds.count("message") == 6 and kinds.count("my_chat_member") == 2
    assert "callback_query" in kinds
    for update in updates:
        if update.callback_query is not None:
            assert isinstance(update.callback_query, CallbackQuery)
            assert update.callback_query.data == "yes"
            assert isinstance(update.callback_query.message, Message)
        if update.my_chat_member is not None:
            assert isinstance(update.my_chat_member, ChatMemberUpdated)
    blocked = [u.my_chat_member for u in updates if u.my_chat_member is not None]
    assert [m.new_chat_member.status for m in blocked] == ["kicked", "member"]
    assert isinstance(blocked[0].new_chat_member, ChatMemberBanned)


# == what aiogram sends ===============================================================


async def test_newer_fields_aiogram_sends_are_accepted(
    bot: Bot, emu: Emulator, anna: TestUser
) -> None:
    rights = ChatAdministratorRights(
        is_anonymous=False,
        can_manage_chat=True,
        can_delete_messages=True,
        can_manage_video_chats=False,
        can_restrict_members=False,
        can_promote_members=False,
        can_change_info=False,
        can_invite_users=True,
        can_post_stories=False,
        can_edit_stories=False,
        can_delete_stories=False,
        can_send_welcome_messages=True,
    )
    assert await bot.set_my_default_administrator_rights(rights=rights)
    got = await bot.get_my_default_administrator_rights()
    assert isinstance(got, ChatAdministratorRights)

    group = emu.add_group("Группа", members=[anna], supergroup=True)
    assert await bot.promote_chat_member(group.id, anna.id, can_send_welcome_messages=True)

    disabled = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Занято", disabled=DisabledButton())],
            [InlineKeyboardButton(text="Взять", callback_data="take")],
        ]
    )
    sent = await bot.send_message(anna.id, "Карточка", reply_markup=disabled)
    assert sent.reply_markup is not None
    pick = ReplyKeyboardMarkup(
        keyboard=[
            [
                KeyboardButton(
                    text="Выбрать группу",
                    request_chat=KeyboardButtonRequestChat(
                        request_id=1,
                        chat_is_channel=False,
                        bot_administrator_rights=rights,
                        user_administrator_rights=rights,
                    ),
                )
            ]
        ]
    )
    await bot.send_message(
        anna.id, "Группа?", reply_markup=pick, reply_parameters=ReplyParameters(message_id=1)
    )
    assert emu.violations == []


@pytest.mark.parametrize("field", ["can_send_welcome_messages", "can_manage_chat"])
async def test_administrator_rights_without_a_required_field_are_refused(
    emu: Emulator, token: str, field: str
) -> None:
    rights = {
        f["name"]: True for f in spec.types["ChatAdministratorRights"]["fields"] if f["required"]
    }
    del rights[field]
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{emu.api_url}/bot{token}/setMyDefaultAdministratorRights", json={"rights": rights}
        ) as resp,
    ):
        body = await resp.json()
    assert resp.status == 400 and field in body["description"]
