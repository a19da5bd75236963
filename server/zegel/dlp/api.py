"""JSON API for DLP: scan what is being composed; read and replace the organisation's rules and lists."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from zegel.api.auth import bearer_required, valid_bearer
from zegel.api.payload import decode_files
from zegel.dlp import admin, service
from zegel.errors import AppError, not_a_json_object, wrong_type
from zegel.extensions import client_ip, db, limiter
from zegel.security import body_limit

bp = Blueprint("dlp_api", __name__, url_prefix="/api/v1/dlp")
MAX_SCAN_REQUEST = 100 * 1024 * 1024  # multipart files; larger files go through the tus uploads
MAX_SCAN_FILE_BYTES = 64 * 1024 * 1024  # inline base64 files in a JSON scan, decoded
MAX_SCAN_FILES = 100
SCAN_FORM_MEMORY = 4 * 1024 * 1024


def scan_request(user) -> service.ScanResult:
    """Read a scan from JSON ({subject, body_html, uploads, recipients}) or multipart (the same fields,
    files under "files"; in JSON as base64 ``files: [{name, content}]``), shared by the API and the web mailbox."""
    if request.mimetype == "multipart/form-data":
        fields = request.form
        subject, body = fields.get("subject", ""), fields.get("body_html", "")
        upload_ids, recipients = fields.getlist("uploads"), fields.getlist("recipients")
        files = [service.Attachment(f.filename or "bestand", data=f.read())
                 for f in request.files.getlist("files") if f]
    else:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise not_a_json_object()
        subject, body = data.get("subject") or "", data.get("body_html") or ""
        upload_ids, recipients = data.get("uploads") or [], data.get("recipients") or []
        # The add-in sends the Outlook item's attachments inline, base64 (as it does when it sends).
        files = [service.Attachment(f.name, data=f.data)
                 for f in decode_files(data.get("files"), max_files=MAX_SCAN_FILES, max_total=MAX_SCAN_FILE_BYTES)]
    for name, value in (("subject", subject), ("body_html", body)):
        if not isinstance(value, str):
            raise wrong_type(name)
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise wrong_type("recipients")
    files += admin.upload_files(user, upload_ids)
    return service.scan(db.session, user, subject=subject, body_html=body, attachments=files,
                        known_emails=recipients[:500], ip=client_ip())


@bp.post("/scan")
@body_limit(MAX_SCAN_REQUEST, form_memory=SCAN_FORM_MEMORY, when=valid_bearer)
@bearer_required
@limiter.limit("120 per minute")
def scan():
    return jsonify(scan_request(g.api_user).as_json())


@bp.get("/rules")
@bearer_required
def get_rules():
    return jsonify(admin.rules_json(db.session, admin.require_admin(g.api_user)))


@bp.put("/rules")
@bearer_required
def put_rules():
    user = admin.require_admin(g.api_user)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise not_a_json_object()
    admin.replace_rules(db.session, user, data.get("rules"), ip=client_ip())
    return jsonify(admin.rules_json(db.session, user))


@bp.put("/lists/<name>")
@bearer_required
def put_list(name: str):
    user = admin.require_admin(g.api_user)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        raise AppError("invalid_json", _("Send {\"terms\": [\"…\", …]}."), 400)
    admin.save_list(db.session, user, name, data["terms"], ip=client_ip())
    return jsonify(admin.rules_json(db.session, user))


@bp.delete("/lists/<name>")
@bearer_required
def delete_list(name: str):
    user = admin.require_admin(g.api_user)
    admin.delete_list(db.session, user, name, ip=client_ip())
    return "", 204
