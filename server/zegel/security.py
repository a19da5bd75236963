"""Response headers that every page and API answer carries."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    form_memory: int
    when: Callable[[], bool] | None


def body_limit(max_bytes: int, *, form_memory: int = 2 * 1024 * 1024, when: Callable[[], bool] | None = None):
    """A larger request body than the app's 1 MiB for one view. It has to be known before the input
    checks below read the body, so it is declared on the view (below the route decorator) rather than
    set inside it; ``when`` limits it to callers it is meant for, e.g. those signed in."""
    def decorate(view):
        view.body_limit = BodyLimit(max_bytes, form_memory, when)
        return view
    return decorate


def init_input_checks(app) -> None:
    """Refuse form and query values that no database or hash can take, before any view sees them."""
    from flask import request
    from flask_babel import gettext as _

    from zegel.accounts.schemas import is_clean_text
    from zegel.errors import AppError

    def strings(value, depth=0):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict) and depth < 8:
            for key, item in value.items():
                yield key
                yield from strings(item, depth + 1)
        elif isinstance(value, list) and depth < 8:
            for item in value:
                yield from strings(item, depth + 1)

    def _apply_body_limit():
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        limit = getattr(view, "body_limit", None)
        if limit is not None and (limit.when is None or limit.when()):
            request.max_content_length = limit.max_bytes
            request.max_form_memory_size = limit.form_memory

    # First of all: the CSRF check and the checks below read the body.
    app.before_request_funcs.setdefault(None, []).insert(0, _apply_body_limit)

    @app.before_request
    def _clean_input():
        form = request.form.values() if request.method == "POST" and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data") else ()
        body = request.get_json(silent=True) if request.is_json else None
        values = (*request.args.values(), *(request.view_args or {}).values(), *form, *strings(body))
        if not all(is_clean_text(v) for v in values if isinstance(v, str)):
            raise AppError("invalid_input", _("The request contains characters that are not allowed."), 400)


def init_security_headers(app, https: bool) -> None:
    @app.after_request
    def _headers(resp):
        h = resp.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "no-referrer")
        if "frame-ancestors 'none'" in h["Content-Security-Policy"]:
            h.setdefault("X-Frame-Options", "DENY")  # the add-in's pages name Outlook's origins instead
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if https:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages of a signed-in user must not be kept by shared caches or the back button after logout.
        if "Cache-Control" not in h and resp.mimetype in ("text/html", "application/json"):
            h["Cache-Control"] = "no-store"
        return resp
