"""Bearer-token authentication for the add-in's JSON API."""
from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from zegel.accounts import sessions
from zegel.errors import AppError
from zegel.extensions import db


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _bearer_user():
    """The user of the request's access token, looked up once per request."""
    if "bearer_user" not in g:
        token = bearer_token()
        g.bearer_user = sessions.authenticate_access_token(db.session, token) if token else None
    return g.bearer_user


def valid_bearer() -> bool:
    """Whether the request carries a valid access token (for limits decided before the view runs)."""
    return _bearer_user() is not None


def bearer_required(view):
    """Let the request through only with a valid access token; ``g.api_user`` is its user."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = _bearer_user()
        if user is None:
            exc = AppError("unauthorized", _("Log in first, or refresh your access token."), 401)
            raise exc
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper
