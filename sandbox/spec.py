"""Bot API specification → precompiled validators.

The spec is ``sandbox/api.json``: Bot API 10.1 as data, vendored from the public repository
PaulSonOfLars/telegram-bot-api-spec (file ``api.json``, MIT licence), generated from
core.telegram.org/bots/api. It is copied next to this module (instead of being read from
``../shared``) because CI clones the project alone; ``SANDBOX_API_SPEC`` may point elsewhere.

aiogram follows a newer Bot API (10.3) than the newest spec that repository offers (10.1).
:data:`ADDITIONS` holds what of 10.2–10.3 the emulator needs and the spec lacks (above all
fields that became required, which aiogram refuses to parse without); each entry is applied
only where the loaded spec has no field (parameter, type) of that name, so vendoring a newer
``api.json`` turns them into no-ops.

Every type expression ("Integer", "Array of MessageEntity", "InlineKeyboardMarkup", a union
of several) is compiled once into a closure, so validating a call is a handful of dict look-ups
and isinstance checks — the emulator has to sustain thousands of calls per second.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ApiSpec",
    "MethodSpec",
    "SpecError",
    "Upload",
    "load_spec",
]

DEFAULT_SPEC_PATH = Path(__file__).with_name("api.json")


class SpecError(Exception):
    """A call does not fit the spec; ``description`` is the full Telegram error text."""

    def __init__(self, description: str, error_code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.error_code = error_code


class _Invalid(Exception):
    """Internal: a nested value is wrong; message is the detail without "Bad Request: "."""


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    name: str
    filename: str
    data: bytes
    content_type: str


Files = dict[str, Upload]
# (value, path for error messages, uploaded parts) -> normalised value, or raise _Invalid.
Checker = Callable[[Any, str, Files], Any]

_PRIMITIVES = {"Integer", "String", "Boolean", "Float", "InputFile"}
_DISCRIMINATOR_FIELDS = ("type", "status", "source")
_DISCRIMINATOR_RE = re.compile(r"(?:always|must be)\s+[\"“”']?([A-Za-z_]+)")
_INT_RE = re.compile(r"-?\d+")

_WELCOME_RIGHT = (
    "True, if the administrator can manage chat welcome messages or directly send them in the "
    "case of bots"
)
# Bot API 10.2–10.3 additions the vendored spec lacks: (type or method, field placed after
# this one or None for last, field). Texts as core.telegram.org has them (via aiogram 3.31).
ADDITIONS: tuple[tuple[str, str | None, dict[str, Any]], ...] = (
    (
        "ChatMemberAdministrator",
        "can_delete_stories",
        {
            "name": "can_send_welcome_messages",
            "types": ["Boolean"],
            "required": True,
            "description": _WELCOME_RIGHT,
        },
    ),
    (
        "ChatAdministratorRights",
        "can_delete_stories",
        {
            "name": "can_send_welcome_messages",
            "types": ["Boolean"],
            "required": True,
            "description": _WELCOME_RIGHT,
        },
    ),
    (
        "promoteChatMember",
        None,
        {
            "name": "can_send_welcome_messages",
            "types": ["Boolean"],
            "required": False,
            "description": "Pass True if the administrator can manage chat welcome messages or "
            "directly send them in the case of bots",
        },
    ),
    (
        "InlineKeyboardButton",
        None,
        {
            "name": "disabled",
            "types": ["DisabledButton"],
            "required": False,
            "description": "Optional. If set, then the button is disabled and does nothing",
        },
    ),
)
ADDED_TYPES: dict[str, dict[str, Any]] = {
    "DisabledButton": {
        "name": "DisabledButton",
        "description": [
            "This object represents a disabled button which does nothing. "
            "Currently holds no information."
        ],
    },
}


def _type_error(path: str, expected: str) -> _Invalid:
    return _Invalid(f'field "{path}" must be of type {expected}')


def _check_int(value: Any, path: str, files: Files) -> int:
    if isinstance(value, bool):
        raise _type_error(path, "Integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _type_error(path, "Integer")


def _check_float(value: Any, path: str, files: Files) -> float:
    if isinstance(value, bool):
        raise _type_error(path, "Float")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _type_error(path, "Float")


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _check_bool(value: Any, path: str, files: Files) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise _type_error(path, "Boolean")


def _check_str(value: Any, path: str, files: Files) -> str:
    if isinstance(value, str):
        return value
    # Telegram converts numbers given for string parameters (e.g. callback_data=5).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _type_error(path, "String")


def _check_input_file(value: Any, path: str, files: Files) -> Upload:
    if isinstance(value, Upload):
        return value
    if isinstance(value, str) and value.startswith("attach://"):
        part = files.get(value[9:])
        if part is None:
            raise _Invalid(f'can\'t find attached file "{value[9:]}" for field "{path}"')
        return part
    raise _type_error(path, "InputFile")


def _check_file_or_str(value: Any, path: str, files: Files) -> Upload | str:
    """``InputFile or String``: an upload, attach://name, a file_id or an URL."""
    if isinstance(value, Upload):
        return value
    if isinstance(value, str):
        if value.startswith("attach://"):
            return _check_input_file(value, path, files)
        if not value:
            raise _Invalid(f'field "{path}" must be non-empty')
        return value
    raise _type_error(path, "InputFile or String")


def _check_any_object(value: Any, path: str, files: Files) -> Any:
    if not isinstance(value, dict):
        raise _type_error(path, "JSON object")
    return value


_PRIMITIVE_CHECKERS: dict[str, Checker] = {
    "Integer": _check_int,
    "Float": _check_float,
    "Boolean": _check_bool,
    "String": _check_str,
    "InputFile": _check_input_file,
}


@dataclass(frozen=True)
class ParamSpec:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str
    check: Checker
    json_like: bool  # a string value from a form must be JSON-decoded first
    string_alternative: bool


class MethodSpec:
    """One method: its parameters compiled, ``validate`` normalises raw parameters."""

    def __init__(self, name: str, returns: list[str], params: list[ParamSpec]) -> None:
        self.name = name
        self.returns = returns
        self.params = params
        self.param_names = {p.name for p in params}

    def validate(self, raw: dict[str, Any], files: Files) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p in self.params:
            value = raw.get(p.name)
            if value is None and p.name in files:
                value = files[p.name]  # a part uploaded directly under the parameter name
            if value is None or value == "":
                if p.required:
                    raise SpecError(_missing_description(self.name, p.name))
                continue
            # Form fields carry objects as JSON text ("String" alternatives stay strings).
            if (
                isinstance(value, str)
                and p.json_like
                and (not p.string_alternative or value.lstrip()[:1] in ("[", "{"))
            ):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise SpecError(_json_description(p.name)) from None
            try:
                out[p.name] = p.check(value, p.name, files)
            except _Invalid as exc:
                if p.name == "reply_markup":
                    raise SpecError(
                        f"Bad Request: can't parse reply keyboard markup JSON object: {exc}"
                    ) from None
                raise SpecError(f"Bad Request: {exc}") from None
        return out


def _missing_description(method: str, param: str) -> str:
    if param == "text":
        return "Bad Request: message text is empty"
    if param in ("chat_id", "message_id", "user_id", "callback_query_id"):
        return f"Bad Request: {param} is empty"
    return f'Bad Request: parameter "{param}" is required'


def _json_description(param: str) -> str:
    if param == "reply_markup":
        return "Bad Request: can't parse reply keyboard markup JSON object"
    if param == "entities" or param.endswith("_entities"):
        return "Bad Request: can't parse entities JSON object"
    return f"Bad Request: can't parse {param} JSON object"


class ApiSpec:
    """The whole spec with lazily compiled, cached type checkers."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = str(data.get("version", ""))
        data, applied = _with_additions(data)
        self.additions: list[str] = applied  # "Type.field" / "method.param" / "Type"
        self.types: dict[str, dict[str, Any]] = data["types"]
        self._checkers: dict[str, Checker] = {}
        self.methods: dict[str, MethodSpec] = {}
        for name, m in data["methods"].items():
            params = [self._param(f) for f in m.get("fields", [])]
            self.methods[name.lower()] = MethodSpec(name, list(m.get("returns", [])), params)

    # -- compilation -----------------------------------------------------------------

    def _param(self, f: dict[str, Any]) -> ParamSpec:
        types = tuple(f["types"])
        json_like = any(t not in _PRIMITIVES for t in types)
        return ParamSpec(
            name=f["name"],
            types=types,
            required=bool(f.get("required")),
            description=f.get("description", ""),
            check=self.union(types),
            json_like=json_like,
            string_alternative="String" in types,
        )

    def union(self, exprs: tuple[str, ...] | list[str]) -> Checker:
        exprs = tuple(exprs)
        if set(exprs) == {"InputFile", "String"}:
            return _check_file_or_str
        if len(exprs) > 1 and all(e.startswith("Array of ") for e in exprs):
            # "Array of InputMediaPhoto or Array of InputMediaVideo" (sendMediaGroup) means
            # an array whose items are any of these: an album may mix photos and videos.
            return self._array(self.union([e[9:] for e in exprs]))
        checkers = [self.expr(e) for e in exprs]
        if len(checkers) == 1:
            return checkers[0]
        # Objects of a union are told apart by their discriminator when all have one;
        # otherwise the first alternative that fits wins (Integer before String: chat_id).
        discr = self._discriminators(exprs)
        label = " or ".join(exprs)

        if discr is not None:
            field_name, mapping = discr

            def check_tagged(value: Any, path: str, files: Files) -> Any:
                if not isinstance(value, dict):
                    raise _type_error(path, label)
                tag = value.get(field_name)
                chk = mapping.get(tag) if isinstance(tag, str) else None
                if chk is None:
                    raise _Invalid(f'unsupported {field_name} "{tag}" in field "{path}"')
                return chk(value, path, files)

            return check_tagged

        def check_union(value: Any, path: str, files: Files) -> Any:
            first: _Invalid | None = None
            deep: _Invalid | None = None
            for chk in checkers:
                try:
                    return chk(value, path, files)
                except _Invalid as exc:
                    first = first or exc
                    # "a key field of this alternative is missing" says little; an error
                    # deeper inside the alternative that did match tells what is wrong.
                    if deep is None and not _is_shallow_missing(str(exc), path):
                        deep = exc
            raise deep or first or _type_error(path, label)

        return check_union

    def _discriminators(self, exprs: tuple[str, ...]) -> tuple[str, dict[str, Checker]] | None:
        mapping: dict[str, Checker] = {}
        field_name: str | None = None
        for e in exprs:
            t = self.types.get(e)
            if t is None or not t.get("fields"):
                return None
            tag = _discriminator_of(t)
            if tag is None or (field_name is not None and tag[0] != field_name):
                return None
            field_name = tag[0]
            mapping[tag[1]] = self.expr(e)
        return (field_name, mapping) if field_name is not None else None

    def expr(self, e: str) -> Checker:
        cached = self._checkers.get(e)
        if cached is not None:
            return cached
        if e.startswith("Array of "):
            check_array = self._array(self.expr(e[9:]))
            self._checkers[e] = check_array
            return check_array
        if e in _PRIMITIVE_CHECKERS:
            return _PRIMITIVE_CHECKERS[e]
        t = self.types.get(e)
        if t is None:
            return _check_any_object
        # Recursive types (RichText contains Array of RichText): register a forwarder first.
        cell: list[Checker] = []

        def forward(value: Any, path: str, files: Files) -> Any:
            return cell[0](value, path, files)

        self._checkers[e] = forward
        if "subtypes" in t:
            real = self.union(t["subtypes"])
        elif t.get("fields"):
            real = self._object(e, t["fields"])
        else:
            real = _check_any_object
        cell.append(real)
        self._checkers[e] = real
        return real

    @staticmethod
    def _array(inner: Checker) -> Checker:
        def check_array(value: Any, path: str, files: Files) -> list[Any]:
            if not isinstance(value, list):
                raise _type_error(path, "Array")
            return [inner(v, f"{path}[{i}]", files) for i, v in enumerate(value)]

        return check_array

    def _field(self, f: dict[str, Any]) -> Checker:
        # InputMedia*.media and the like are typed String, but their prose allows
        # "attach://<name>" for a part of the multipart request: resolve it to the upload.
        if f["types"] == ["String"] and "attach://" in f.get("description", ""):
            return _check_file_or_str
        return self.union(f["types"])

    def _object(self, type_name: str, fields: list[dict[str, Any]]) -> Checker:
        compiled = [
            (f["name"], bool(f.get("required")), self._field(f), " or ".join(f["types"]))
            for f in fields
        ]
        tag = _discriminator_of({"fields": fields})

        def check_object(value: Any, path: str, files: Files) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise _type_error(path, type_name)
            out = dict(value)  # unknown keys are kept and ignored, as Telegram does
            for name, required, chk, _label in compiled:
                v = value.get(name)
                if v is None:
                    if required:
                        raise _Invalid(f'field "{path}.{name}" is required in {type_name}')
                    continue
                out[name] = chk(v, f"{path}.{name}", files)
            if tag is not None and out.get(tag[0]) != tag[1]:
                raise _Invalid(f'field "{path}.{tag[0]}" must be "{tag[1]}" in {type_name}')
            return out

        return check_object

    # -- look-ups -----------------------------------------------------------------

    def method(self, name: str) -> MethodSpec | None:
        return self.methods.get(name.lower())

    def minimal(self, expr: str, depth: int = 0) -> Any:
        """A minimal valid value of a type: the answer for methods we do not model."""
        if expr.startswith("Array of "):
            return []
        if expr in ("Boolean", "True"):
            return True
        if expr == "Integer":
            return 0
        if expr == "Float":
            return 0.0
        if expr == "String":
            return ""
        t = self.types.get(expr)
        if t is None or depth > 6:
            return {}
        if "subtypes" in t:
            return self.minimal(t["subtypes"][0], depth + 1)
        out: dict[str, Any] = {}
        tag = _discriminator_of(t)
        for f in t.get("fields", []):
            if not f.get("required"):
                continue
            if tag is not None and f["name"] == tag[0]:
                out[f["name"]] = tag[1]
            else:
                out[f["name"]] = self.minimal(f["types"][0], depth + 1)
        return out


def _with_additions(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``data`` with :data:`ADDITIONS` and :data:`ADDED_TYPES` where it lacks them (copies
    of the changed entries; ``data`` itself is left alone) and the names of those applied."""
    types = dict(data["types"])
    methods = dict(data["methods"])
    applied: list[str] = []
    for name, t in ADDED_TYPES.items():
        if name not in types:
            types[name] = t
            applied.append(name)
    for owner, after, field in ADDITIONS:
        table = types if owner in types else methods
        entry = table.get(owner)
        if entry is None:
            continue
        fields: list[dict[str, Any]] = list(entry.get("fields", []))
        if any(f["name"] == field["name"] for f in fields):
            continue
        names = [f["name"] for f in fields]
        at = names.index(after) + 1 if after in names else len(fields)
        fields.insert(at, field)
        table[owner] = {**entry, "fields": fields}
        applied.append(f"{owner}.{field['name']}")
    return {**data, "types": types, "methods": methods}, applied


def _is_shallow_missing(message: str, path: str) -> bool:
    if "unsupported " in message or '" must be "' in message:
        return True  # a wrong discriminator: this alternative simply is not the one meant
    prefix = f'field "{path}.'
    if not message.startswith(prefix) or "is required" not in message:
        return False
    rest = message[len(prefix) :].split('"', 1)[0]
    return "." not in rest and "[" not in rest


def _discriminator_of(t: dict[str, Any]) -> tuple[str, str] | None:
    fields = t.get("fields") or []
    for f in fields[:1]:
        if f["name"] in _DISCRIMINATOR_FIELDS:
            m = _DISCRIMINATOR_RE.search(f.get("description", ""))
            if m:
                return f["name"], m.group(1)
    return None


_CACHE: dict[str, ApiSpec] = {}


def load_spec(path: str | os.PathLike[str] | None = None) -> ApiSpec:
    """Load (once per path) and compile the spec; ``SANDBOX_API_SPEC`` overrides the default."""
    resolved = str(path or os.environ.get("SANDBOX_API_SPEC") or DEFAULT_SPEC_PATH)
    spec = _CACHE.get(resolved)
    if spec is None:
        with open(resolved, encoding="utf-8") as fh:
            spec = ApiSpec(json.load(fh))
        _CACHE[resolved] = spec
    return spec
