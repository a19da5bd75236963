"""/addin/manifest.xml: the manifest an administrator deploys (Microsoft 365 admin center)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app
from flask_babel import gettext as _

from zegel.addin import manifest
from zegel.errors import AppError

bp = Blueprint("addin", __name__, url_prefix="/addin")


@bp.get("/manifest.xml")
def manifest_xml():
    config = current_app.config["ZEGEL"]
    try:
        xml = manifest.render(config.public_url, app_id=config.addin_id, send_mode=config.addin_send_mode)
    except ValueError:
        raise AppError("addin_needs_https", _("The Outlook add-in needs Zegel on an https address "
                                              "(ZEGEL_PUBLIC_URL)."), 409) from None
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": 'attachment; filename="zegel-outlook-manifest.xml"'})
