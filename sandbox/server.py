"""aiohttp application: the Bot API (``/bot{token}/{method}``), file downloads
(``/file/bot{token}/{path}``) and the control API under ``/sandbox/api/``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.spec import Upload

if TYPE_CHECKING:
    from sandbox.emulator import Emulator

__all__ = ["build_app", "parse_body"]

MAX_UPLOAD = 50 * 1024 * 1024  # Telegram's upload limit for bots


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


async def parse_body(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Query string + JSON / urlencoded / multipart body → (raw params, uploaded parts)."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return raw, files
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest() from None
        if isinstance(body, dict):
            raw.update(body)
        return raw, files
    if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = Upload(key, value.filename, value.file.read(), value.content_type)
            else:
                raw[key] = value if isinstance(value, str) else value.decode()
    return raw, files


def _reply(status: int, payload: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=_dumps(payload), content_type="application/json")


def build_app(emu: Emulator) -> web.Application:
    app = web.Application(client_max_size=MAX_UPLOAD)

    async def bot_api(request: web.Request) -> web.Response:
        raw, files = await parse_body(request)
        status, payload = await emu.call(
            request.match_info["token"], request.match_info["method"], raw, files
        )
        return _reply(status, payload)

    async def bot_file(request: web.Request) -> web.StreamResponse:
        bot = emu.bot_for_token(request.match_info["token"])
        rec = emu.world.files_by_path.get(request.match_info["path"])
        if bot is None or rec is None:
            return _reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        return web.Response(body=rec.data, content_type=rec.mime_type or "application/octet-stream")

    app.router.add_route("*", "/bot{token}/{method}", bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", bot_file)
    _control_routes(app, emu)
    return app


# == control API ======================================================================


def _ok(result: Any) -> web.Response:
    return _reply(200, {"ok": True, "result": result})


def _fail(status: int, description: str) -> web.Response:
    return _reply(status, {"ok": False, "error_code": status, "description": description})


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return dict(request.query)
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="body must be JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return {**request.query, **body}


def _control_routes(app: web.Application, emu: Emulator) -> None:
    base = "/sandbox/api"

    def user_of(request: web.Request) -> Any:
        user = emu.test_users.get(int(request.match_info["user_id"]))
        if user is None:
            raise web.HTTPNotFound(text="unknown user")
        return user

    async def info(request: web.Request) -> web.Response:
        return _ok(
            {
                "api_url": emu.api_url,
                "bots": [
                    {"id": b.id, "username": b.username, "token": b.token}
                    for b in emu.world.bots.values()
                ],
                "users": [u.describe() for u in emu.test_users.values()],
            }
        )

    async def create_user(request: web.Request) -> web.Response:
        body = await _json(request)
        user_id = body.get("user_id")
        existing = emu.test_users.get(int(user_id)) if user_id else None
        if existing is not None:
            return _ok(existing.describe())
        user = emu.add_user(
            first_name=str(body.get("first_name") or "Гость"),
            language_code=body.get("language_code", "ru"),
            username=body.get("username"),
            user_id=int(user_id) if user_id else None,
            bot=body.get("bot"),
        )
        return _ok(user.describe())

    async def send(request: web.Request) -> web.Response:
        user = user_of(request)
        body = await _json(request)
        text = str(body.get("text") or "")
        if not text:
            return _fail(400, "text is empty")
        return _ok(await user.send(text))

    async def click(request: web.Request) -> web.Response:
        user = user_of(request)
        body = await _json(request)
        try:
            if body.get("callback_data") is not None and body.get("message_id") is not None:
                cb_id = await user.click_data(int(body["message_id"]), str(body["callback_data"]))
            else:
                mid = body.get("message_id")
                cb_id = await user.click(
                    str(body.get("text") or ""), message_id=int(mid) if mid is not None else None
                )
        except AssertionError as exc:
            return _fail(400, str(exc))
        return _ok({"callback_query_id": cb_id})

    async def contact(request: web.Request) -> web.Response:
        user = user_of(request)
        body = await _json(request)
        return _ok(await user.share_contact(phone=body.get("phone")))

    async def block(request: web.Request) -> web.Response:
        user = user_of(request)
        body = await _json(request)
        if body.get("blocked", True):
            user.block()
        else:
            user.unblock()
        return _ok(True)

    async def events(request: web.Request) -> web.Response:
        user = user_of(request)
        after = int(request.query.get("after", "0"))
        timeout = min(float(request.query.get("timeout", "0")), 60.0)
        evs = await user.events_after(after, timeout)
        cursor = evs[-1]["seq"] + 1 if evs else after
        return _ok({"events": evs, "cursor": cursor})

    async def add_fault(request: web.Request) -> web.Response:
        body = await _json(request)
        fault = emu.faults.inject(
            body.get("method"),
            int(body.get("status", 500)),
            retry_after=body.get("retry_after"),
            times=body.get("times", 1),
            chat_id=body.get("chat_id"),
            description=body.get("description"),
        )
        return _ok(fault.to_json())

    async def latency(request: web.Request) -> web.Response:
        body = await _json(request)
        emu.faults.latency(float(body.get("seconds", 0)), body.get("method"))
        return _ok(True)

    async def list_faults(request: web.Request) -> web.Response:
        return _ok([f.to_json() for f in emu.faults.active])

    async def clear_faults(request: web.Request) -> web.Response:
        emu.faults.clear()
        return _ok(True)

    async def rate_limit(request: web.Request) -> web.Response:
        body = await _json(request)
        emu.limiter.enabled = bool(body.get("enabled", True))
        emu.limiter.reset()
        return _ok({"enabled": emu.limiter.enabled})

    async def calls(request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "100"))
        recs = emu.calls(request.query.get("method"))[-limit:]
        return _ok([r.to_json() for r in recs])

    async def violations(request: web.Request) -> web.Response:
        return _ok([r.to_json() for r in emu.violations])

    app.router.add_get(f"{base}/", info)
    app.router.add_get(f"{base}/users", info)
    app.router.add_post(f"{base}/users", create_user)
    app.router.add_post(f"{base}/users/{{user_id}}/send", send)
    app.router.add_post(f"{base}/users/{{user_id}}/click", click)
    app.router.add_post(f"{base}/users/{{user_id}}/contact", contact)
    app.router.add_post(f"{base}/users/{{user_id}}/block", block)
    app.router.add_get(f"{base}/users/{{user_id}}/events", events)
    app.router.add_get(f"{base}/faults", list_faults)
    app.router.add_post(f"{base}/faults", add_fault)
    app.router.add_delete(f"{base}/faults", clear_faults)
    app.router.add_post(f"{base}/latency", latency)
    app.router.add_post(f"{base}/rate-limit", rate_limit)
    app.router.add_get(f"{base}/calls", calls)
    app.router.add_get(f"{base}/violations", violations)
