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


def valid_bearer() -> bool:
    """Whether the request carries a valid access token (for limits decided before the view runs)."""
    token = bearer_token()
    return bool(token) and sessions.authenticate_access_token(db.session, token) is not None


def bearer_required(view):
    """Let the request through only with a valid access token; ``g.api_user`` is its user."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = bearer_token()
        user = sessions.authenticate_access_token(db.session, token) if token else None
        if user is None:
            exc = AppError("unauthorized", _("Log in first, or refresh your access token."), 401)
            raise exc
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper
