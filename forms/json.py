"""JSON bodies for the same WTForms forms as the pages: flatten them into form data.

Posting through the API then runs exactly the validation a browser's post runs (including
InputRequired, which looks at raw form data). `{"parties": [{"name": "张三"}]}` becomes
`parties-0-name=张三`; true becomes "y" and false "false", as a ticked or unticked box.
"""
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

MAX_DEPTH = 3
MAX_ITEMS = 50


class JsonShapeError(ValueError):
    """The body is JSON but not the shape a form takes (nested too deep, too many items)."""


def json_to_formdata(payload: dict) -> MultiDict:
    formdata: MultiDict[str, Any] = MultiDict()
    _flatten(formdata, "", payload, 0)
    return formdata


def _flatten(formdata: MultiDict, prefix: str, value, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise JsonShapeError(_l("JSON 嵌套过深。"))
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            raise JsonShapeError(_l("JSON 字段过多。"))
        for key, item in value.items():
            _flatten(formdata, f"{prefix}-{key}" if prefix else str(key), item, depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_ITEMS:
            raise JsonShapeError(_l("JSON 数组过长。"))
        if all(isinstance(item, dict) for item in value) and value:
            for index, item in enumerate(value):
                _flatten(formdata, f"{prefix}-{index}", item, depth + 1)
        else:
            for item in value:
                if isinstance(item, (dict, list)):
                    raise JsonShapeError(_l("字段 %(prefix)s 的数组不能混合对象和其他值。", prefix=prefix))
                _add_scalar(formdata, prefix, item)
    else:
        _add_scalar(formdata, prefix, value)


def _add_scalar(formdata: MultiDict, key: str, value) -> None:
    if value is None:
        return
    if value is True:
        formdata.add(key, "y")
    elif value is False:
        formdata.add(key, "false")
    else:
        formdata.add(key, str(value))
