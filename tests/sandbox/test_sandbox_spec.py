"""The spec loader and precompiled validator."""

from __future__ import annotations

import json
import time

import pytest

from sandbox.spec import SpecError, Upload, load_spec

spec = load_spec()


def test_spec_is_vendored_and_complete() -> None:
    assert spec.version.startswith("Bot API")
    for name in ("sendMessage", "getUpdates", "createForumTopic", "answerCallbackQuery"):
        assert spec.method(name) is not None
    assert spec.method("SENDMESSAGE") is spec.method("sendmessage")
    assert spec.method("sendMessages") is None


def test_form_values_are_coerced() -> None:
    p = spec.methods["sendmessage"].validate(
        {
            "chat_id": "42",
            "text": "hi",
            "disable_notification": "true",
            "reply_markup": json.dumps(
                {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
            ),
            "unknown_extra": "ignored",
        },
        {},
    )
    assert p["chat_id"] == 42 and p["disable_notification"] is True
    assert p["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    assert "unknown_extra" not in p
    assert (
        spec.methods["sendmessage"].validate({"chat_id": "@chan", "text": "x"}, {})["chat_id"]
        == "@chan"
    )


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("sendMessage", {"chat_id": 1}, "message text is empty"),
        ("sendMessage", {"text": "x"}, "chat_id is empty"),
        ("sendMessage", {"chat_id": 1, "text": "x", "message_thread_id": "abc"}, "Integer"),
        ("sendMessage", {"chat_id": 1, "text": "x", "protect_content": "maybe"}, "Boolean"),
        (
            "sendMessage",
            {"chat_id": 1, "text": "x", "reply_markup": "{oops"},
            "can't parse reply keyboard markup JSON object",
        ),
        (
            "sendMessage",
            {
                "chat_id": 1,
                "text": "x",
                "reply_markup": '{"inline_keyboard": [[{"callback_data": "x"}]]}',
            },
            "inline_keyboard[0][0].text",
        ),
        ("setMyCommands", {"commands": '[{"command": "start"}]'}, "description"),
        ("setMyCommands", {"commands": "[]", "scope": '{"type": "chat"}'}, "scope.chat_id"),
        ("setMyCommands", {"commands": "[]", "scope": '{"type": "nope"}'}, "unsupported type"),
        ("sendLocation", {"chat_id": 1, "latitude": "north", "longitude": 1}, "Float"),
        ("sendDocument", {"chat_id": 1, "document": "attach://missing"}, "missing"),
    ],
)
def test_rejects(method: str, params: dict[str, object], expected: str) -> None:
    m = spec.method(method)
    assert m is not None
    with pytest.raises(SpecError) as info:
        m.validate(params, {})
    assert info.value.description.startswith("Bad Request: ")
    assert expected in info.value.description


def test_input_file_forms() -> None:
    m = spec.methods["senddocument"]
    part = Upload("f1", "a.txt", b"hi", "text/plain")
    assert m.validate({"chat_id": 1, "document": "attach://f1"}, {"f1": part})["document"] is part
    assert m.validate({"chat_id": 1}, {"document": part})["document"] is part
    assert m.validate({"chat_id": 1, "document": "BQAC-file-id"}, {})["document"] == "BQAC-file-id"


def test_union_by_discriminator() -> None:
    m = spec.methods["sendmediagroup"]
    ok = m.validate(
        {
            "chat_id": 1,
            "media": json.dumps(
                [{"type": "photo", "media": "id1"}, {"type": "photo", "media": "id2"}]
            ),
        },
        {},
    )
    assert [x["type"] for x in ok["media"]] == ["photo", "photo"]
    with pytest.raises(SpecError) as info:
        m.validate({"chat_id": 1, "media": json.dumps([{"type": "photo"}])}, {})
    assert "media[0].media" in info.value.description


def test_album_items_mix_and_attach_uploads() -> None:
    m = spec.methods["sendmediagroup"]
    part = Upload("p0", "a.jpg", b"jpg", "image/jpeg")
    media = [
        {"type": "photo", "media": "attach://p0", "caption": "c"},
        {"type": "video", "media": "BAAC-file-id"},
    ]
    ok = m.validate({"chat_id": 1, "media": json.dumps(media)}, {"p0": part})
    assert ok["media"][0]["media"] is part  # attach:// inside an InputMedia is an upload
    assert ok["media"][1]["media"] == "BAAC-file-id"  # photos and videos may share an album
    with pytest.raises(SpecError) as info:
        m.validate({"chat_id": 1, "media": json.dumps(media)}, {})
    assert 'can\'t find attached file "p0"' in info.value.description
    media[1]["type"] = "sticker"
    with pytest.raises(SpecError):
        m.validate({"chat_id": 1, "media": json.dumps(media)}, {"p0": part})


def test_validation_is_fast() -> None:
    m = spec.methods["sendmessage"]
    raw = {
        "chat_id": "1",
        "text": "hello",
        "parse_mode": "HTML",
        "reply_markup": json.dumps({"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}),
    }
    t = time.perf_counter()
    for _ in range(2000):
        m.validate(raw, {})
    assert time.perf_counter() - t < 1.0  # far below; guards against accidental re-compiles
