"""One error type for expected failures, answered as JSON under /api/ and as a page elsewhere."""
from __future__ import annotations

import time

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class AppError(Exception):
    """A failure the user caused or can act on: a 4xx with a code and a message."""

    def __init__(self, code: str, message, status: int = 400, retry_after: int | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after


def wrong_type(name: str) -> AppError:
    """400 for a field of a JSON request whose value has the wrong type."""
    return AppError("invalid_field", _l("The field '%(name)s' has the wrong type.", name=name), 400)


def not_a_json_object() -> AppError:
    return AppError("invalid_json", _l("Send a JSON object with Content-Type: application/json."), 400)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def error_response(code: str, message, status: int, retry_after: int | None = None):
    if wants_json():
        body = jsonify(error={"code": code, "message": str(message)})
    else:
        body = render_template("error.html", code=code, message=message, status=status)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if status == 401 and wants_json():
        headers["WWW-Authenticate"] = 'Bearer realm="zegel"'
    return body, status, headers


_HTTP_MESSAGES = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Please log in first.")),
    403: ("forbidden", _l("You do not have access to this.")),
    404: ("not_found", _l("This page does not exist (any more).")),
    405: ("method_not_allowed", _l("This action is not allowed here.")),
    413: ("too_large", _l("What you sent is too large.")),
    429: ("rate_limited", _l("Too many attempts. Wait a moment and try again.")),
}


def _limiter_retry_after() -> int:
    from zegel.extensions import limiter
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()) + 1)


def register_error_handlers(app) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError):
        return error_response(exc.code, exc.message, exc.status, exc.retry_after)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return error_response(
            "csrf_failed",
            _l("This form has expired or did not come from this site. Reload the page and try again."),
            400,
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code, message = _HTTP_MESSAGES.get(exc.code, ("http_error", exc.description))
        retry_after = _limiter_retry_after() if exc.code == 429 else None
        return error_response(code, message, exc.code or 500, retry_after)

    from zegel.crypto.envelope import IntegrityError
    from zegel.storage.base import StorageUnavailable

    @app.errorhandler(StorageUnavailable)
    def _storage_down(exc: StorageUnavailable):
        app.logger.error("storage unavailable on %s: %s", request.path, exc)
        return error_response("storage_unavailable", _l("Storage is full or unavailable. Try again later."), 503,
                              retry_after=60)

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        # Stored ciphertext does not verify: show that plainly, never a guess at the content.
        app.logger.error("integrity check failed on %s: %s", request.path, exc)
        return error_response("integrity_error", _l("The content of this message is damaged and cannot be shown. "
                                                    "Contact your administrator."), 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response("internal_error", _l("Something went wrong on our side. Try again later."), 500)
