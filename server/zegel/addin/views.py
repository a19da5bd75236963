"""The add-in's pages: the manifest an administrator deploys, the task pane, and the event runtime
(commands.html in browsers; launchevent.js alone in classic Outlook on Windows)."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from zegel.addin import manifest, texts
from zegel.errors import AppError

bp = Blueprint("addin", __name__, url_prefix="/addin")

OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
BUILD = Path(__file__).resolve().parent.parent / "static" / "addin" / "build"
# Outlook on the web and the new Outlook frame the pane; the desktop clients show it in a web view.
OUTLOOK_ORIGINS = ("https://outlook.office.com https://outlook.office365.com https://outlook.live.com "
                   "https://outlook.cloud.microsoft https://*.office.com https://*.office365.com "
                   "https://*.officeapps.live.com https://*.outlook.com")
ADDIN_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' https://appsforoffice.microsoft.com",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    f"frame-ancestors 'self' {OUTLOOK_ORIGINS}",
])


def _page(html: str) -> Response:
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": ADDIN_CSP})


@bp.get("/manifest.xml")
def manifest_xml():
    return manifest.download(current_app.config["ZEGEL"])


@bp.get("/taskpane.html")
def taskpane():
    mode = "read" if request.args.get("mode") == "read" else "compose"
    language = str(get_locale() or "nl")
    config = {"base": "", "mode": mode, "language": language, "texts": {**texts.pane_texts(), "language": language},
              "static": url_for("static", filename="")}
    return _page(render_template("addin/taskpane.html", config=config, mode=mode, language=language,
                                 office_js=OFFICE_JS))


@bp.get("/commands.html")
def commands():
    return _page(render_template("addin/commands.html", office_js=OFFICE_JS))


@bp.get("/launchevent.js")
def launchevent():
    """The handler bundle with its configuration in front: classic Outlook on Windows loads this
    file alone (no HTML page, no other requests before the handlers run)."""
    try:
        bundle = (BUILD / "launchevent.js").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AppError("not_built", _("The add-in has not been built: run make assets."), 503) from None
    config = {"base": current_app.config["ZEGEL"].public_url, "texts": texts.handler_texts()}
    prelude = f"var ZEGEL_CONFIG = {json.dumps(config, ensure_ascii=False)};\n"
    return Response(prelude + bundle, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})


@bp.after_app_request
def _cors_for_the_event_runtime(response):
    """Classic Outlook's JavaScript-only runtime calls the API from no page origin of ours. The JSON
    API is authorised by bearer tokens, never cookies, so any origin may call it without credentials."""
    if request.path.startswith("/api/v1/") and request.headers.get("Origin"):
        response.headers.setdefault("Access-Control-Allow-Origin", "*")
        response.headers.setdefault("Access-Control-Expose-Headers",
                                    "Location, Upload-Offset, Upload-Length, Tus-Resumable, Upload-Expires")
        if request.method == "OPTIONS":
            response.headers.setdefault("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, HEAD, DELETE, OPTIONS")
            response.headers.setdefault("Access-Control-Allow-Headers",
                                        "Authorization, Content-Type, Accept-Language, Tus-Resumable, Upload-Length, "
                                        "Upload-Offset, Upload-Metadata, Upload-Checksum, Upload-Defer-Length, "
                                        "Upload-Concat, X-HTTP-Method-Override")
            response.headers.setdefault("Access-Control-Max-Age", "600")
    return response
