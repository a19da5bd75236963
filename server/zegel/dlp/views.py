"""DLP in the web mailbox: the compose screen's scan (session cookie and CSRF header), and the admin page."""
from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user, login_required

from zegel.dlp.api import scan_request
from zegel.extensions import limiter

bp = Blueprint("dlp", __name__)


@bp.post("/compose/dlp")
@login_required
@limiter.limit("120 per minute")
def compose_scan():
    """What the compose screen shows while the user types and adds files."""
    return jsonify(scan_request(current_user).as_json())
