"""Input no page or service should ever see: refused once, for every route, before a view runs.

- NUL characters (PostgreSQL cannot store them in text) and lone UTF-16 surrogates (no encoding can
  store them) anywhere in the path, the query string, form fields, uploaded file names or a JSON body;
- JSON nested deeper than any form takes (a body of 20 000 `[` would exhaust Python's recursion);
- integers in the URL path beyond a database INTEGER, or written with other than ASCII digits
  (the `int` converter: such a URL matches no route, 404).

Each answers 400 with a message in the user's language (JSON under /api/), and nothing is stored.
"""
import re
from typing import overload

from flask import Flask, Request, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# The largest id, page or count we take: what an INTEGER column holds on PostgreSQL (ids are INTEGER; a
# larger number in a query fails there with "integer out of range" instead of finding nothing).
MAX_INT = 2**31 - 1
# Deeper than every form's JSON shape (forms/json.py takes three levels) with room to spare.
MAX_JSON_DEPTH = 32
_SMUGGLED = re.compile("[\x00\ud800-\udfff]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


class RefusedInputError(BadRequest):
    """A request refused for what it carries (400); its description is the user's message."""


def parse_int(text: str | None, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """The integer written in ASCII digits in `text`, if it lies in [minimum, maximum]; else None.

    Stricter than int(): no signs, spaces, underscores or other scripts' digits (int("٣") is 3, "²"
    passes str.isdigit() and then fails int()), and nothing a database integer cannot hold.
    """
    if not text or len(text) > 10 or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


@overload
def query_int(args, name: str, default: int, minimum: int = 1, maximum: int = MAX_INT) -> int: ...


@overload
def query_int(args, name: str, default: None = None, minimum: int = 1, maximum: int = MAX_INT) -> int | None: ...


def query_int(args, name: str, default: int | None = None, minimum: int = 1, maximum: int = MAX_INT) -> int | None:
    """An integer query parameter (or form field): absent or empty gives `default`; anything but an
    integer in [minimum, maximum] is refused with 400 and a message naming the parameter."""
    text = args.get(name, "")
    if text == "":
        return default
    number = parse_int(text, minimum, maximum)
    if number is None:
        raise RefusedInputError(_("参数 %(name)s 须为 %(minimum)s 到 %(maximum)s 之间的整数。",
                                  name=name, minimum=minimum, maximum=maximum))
    return number


class BoundedIntConverter(IntegerConverter):
    """`<int:id>`: ASCII digits only, at most MAX_INT; anything else matches no route (404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(url_map, *args, **kwargs)


def has_smuggled_characters(text: str) -> bool:
    return _SMUGGLED.search(text) is not None


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


class GuardedRequest(Request):
    """Form data and JSON bodies are checked when a view (or CSRF protection) first reads them, so
    the body-size limits a blueprint sets before that still apply."""

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        super()._load_form_data()
        texts = [text for key, value in self.form.items(multi=True) for text in (key, value)]
        texts += [text for key, upload in self.files.items(multi=True) for text in (key, upload.filename or "")]
        _refuse_if_smuggled(texts)

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if force or self.is_json:
            raw = self.get_data(cache=True)
            if json_depth(raw.decode("utf-8", "replace")) > MAX_JSON_DEPTH:
                raise RefusedInputError(_("JSON 嵌套过深（最多 %(depth)s 层）。", depth=MAX_JSON_DEPTH))
        payload = super().get_json(force=force, silent=silent, cache=cache)
        if _json_has_smuggled_characters(payload):
            raise RefusedInputError(_smuggled_message())
        return payload


def _smuggled_message() -> str:
    return _("请求中含有不允许的字符（空字符或无效的 Unicode 字符）。")


def refuse_smuggled_path_and_query() -> None:
    """before_request: the path and the query string (the body is checked when it is read)."""
    _refuse_if_smuggled([request.path, *(text for key, value in request.args.items(multi=True)
                                         for text in (key, value))])


def refuse_smuggled_body() -> None:
    """before_request of every blueprint, after the blueprint's own (its body-size limit, the API's
    token check): read the form or JSON body now, so GuardedRequest checks it even where no view would."""
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        request.form  # noqa: B018 (parsing is the check)
    elif request.is_json:
        request.get_json(silent=True)


def _refuse_if_smuggled(texts) -> None:
    if any(has_smuggled_characters(text) for text in texts):
        raise RefusedInputError(_smuggled_message())


def _json_has_smuggled_characters(value) -> bool:
    if isinstance(value, str):
        return has_smuggled_characters(value)
    if isinstance(value, dict):
        return any(_json_has_smuggled_characters(key) or _json_has_smuggled_characters(item)
                   for key, item in value.items())
    if isinstance(value, list):
        return any(_json_has_smuggled_characters(item) for item in value)
    return False


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: the converter applies to the routes added after it."""
    app.request_class = GuardedRequest
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_smuggled_path_and_query)


def guard_bodies(app: Flask) -> None:
    """Call after every blueprint is registered: each checks its request bodies after its own limits."""
    for name in app.blueprints:
        app.before_request_funcs.setdefault(name, []).append(refuse_smuggled_body)
