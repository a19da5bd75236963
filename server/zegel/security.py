"""Response headers that every page and API answer carries."""
from __future__ import annotations

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
