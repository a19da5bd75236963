"""Validation of the JSON bodies of the auth API."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from zegel.errors import AppError, not_a_json_object, wrong_type


def is_clean_text(value: str) -> bool:
    """No NUL bytes (PostgreSQL refuses them) and no lone surrogates (not encodable as UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_body(*required: str, optional: dict | None = None) -> dict:
    """The request's JSON object with the named string fields; a 400 naming what is wrong otherwise."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise not_a_json_object()
    out = {}
    for name in required:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 1000 or not is_clean_text(value):
            raise AppError("invalid_field", _("The field '%(name)s' is required and must be text.", name=name), 400)
        out[name] = value
    for name, kind in (optional or {}).items():
        value = data.get(name)
        if value is not None and not isinstance(value, kind):
            raise wrong_type(name)
        out[name] = value
    return out
