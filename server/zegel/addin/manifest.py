"""The add-in manifest for a given public https URL: the server renders it for its own address
(`/addin/manifest.xml`), and `manifest.xml` in the repository is the same for the development URL."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, render_template
from flask_babel import gettext as _

from zegel.errors import AppError

# One id for Zegel's add-in; an organisation running two Zegel servers for one tenant sets its own.
DEFAULT_ADDIN_ID = "5c1f0d43-7a2e-4b8e-9f3d-2e6a1b7c9d40"
VERSION = "1.0.0.0"
SEND_MODES = ("SoftBlock", "Block")
DEV_URL = "https://localhost:5443"


def render(base_url: str, *, app_id: str = DEFAULT_ADDIN_ID, send_mode: str = "SoftBlock") -> str:
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("the add-in needs an https public URL")
    if send_mode not in SEND_MODES:
        raise ValueError(f"send mode must be one of {SEND_MODES}")
    base = f"https://{parts.netloc}{parts.path.rstrip('/')}"
    return render_template("addin/manifest.xml", base=base, app_id=app_id, version=VERSION, send_mode=send_mode)


def download(config, filename: str = "zegel-outlook-manifest.xml") -> Response:
    """The manifest for this server as a file to save; 409 while the server is not on https."""
    try:
        xml = render(config.public_url, app_id=config.addin_id, send_mode=config.addin_send_mode)
    except ValueError:
        raise AppError("addin_needs_https", _("The Outlook add-in needs Zegel on an https address "
                                              "(ZEGEL_PUBLIC_URL)."), 409) from None
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
