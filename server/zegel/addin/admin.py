"""/admin/addin: the Outlook add-in for administrators: where its manifest is, what it is set to, a
download for the Microsoft 365 admin center, and the steps to deploy it."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user, login_required

from zegel.addin import manifest
from zegel.dlp.admin import require_admin

bp = Blueprint("addin_admin", __name__, url_prefix="/admin/addin")

DOWNLOAD_NAME = "zegel-outlook-manifest.xml"
REQUIRED_MAILBOX = "1.12"  # Smart Alerts (OnMessageSend); see the manifest's VersionOverrides


@bp.get("")
@login_required
def page():
    require_admin(current_user)
    config = current_app.config["ZEGEL"]
    return render_template(
        "admin/addin.html", active="addin", https=config.https, public_url=config.public_url,
        # The address Outlook and the admin center fetch: the server's own public URL, never the request's host.
        manifest_url=f"{config.public_url}{url_for('addin.manifest_xml')}",
        app_id=config.addin_id, send_mode=config.addin_send_mode, version=manifest.VERSION,
        required_mailbox=REQUIRED_MAILBOX)


@bp.get(f"/{DOWNLOAD_NAME}")
@login_required
def download():
    require_admin(current_user)
    return manifest.download(current_app.config["ZEGEL"], DOWNLOAD_NAME)
