"""tus 1.0.0 at /api/v1/uploads/: core, creation, creation-with-upload, expiration, checksum (sha256), termination.

Authenticated by the add-in's bearer token or the web session cookie. The
cookie is SameSite=Lax and every tus request carries a custom header, so a
foreign site can neither send the cookie nor pass the CORS preflight.
"""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from zegel.accounts import sessions
from zegel.api.auth import bearer_token
from zegel.errors import AppError
from zegel.extensions import client_ip, db
from zegel.uploads import service

bp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads")
TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,expiration,checksum,termination"
OFFSET_TYPE = "application/offset+octet-stream"


def _tus_headers(**extra) -> dict:
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store", **extra}


def _account():
    token = bearer_token()
    if token:
        user = sessions.authenticate_access_token(db.session, token)
    else:
        user = current_user if current_user.is_authenticated else None
    if user is None:
        raise AppError("unauthorized", _("Log in first, or refresh your access token."), 401)
    return user


def _require_tus() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise AppError("tus_version", _("This server speaks tus 1.0.0 (send Tus-Resumable: 1.0.0)."), 412)


def _int_header(name: str) -> int:
    raw = request.headers.get(name, "")
    if not (raw.isascii() and raw.isdigit()):
        raise AppError("invalid_header", _("%(name)s must be a whole number.", name=name), 400)
    return int(raw)


CHECKSUMS = {"sha256": 32, "sha1": 20}  # sha1 too: it is what tuspy and others send by default


def _checksum() -> tuple[str, bytes] | None:
    raw = request.headers.get("Upload-Checksum")
    if raw is None:
        return None
    algorithm, _sep, value = raw.partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUMS:
        raise AppError("checksum_algorithm", _("Use a sha256 or sha1 checksum."), 400)
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != CHECKSUMS[algorithm]:
        raise AppError("invalid_header", _("Upload-Checksum is not valid."), 400)
    return algorithm, digest


@bp.route("/", methods=["OPTIONS"])
@bp.route("/<upload_id>", methods=["OPTIONS"])
def discover(upload_id: str | None = None):
    return Response(status=204, headers=_tus_headers(**{
        "Tus-Version": TUS_VERSION, "Tus-Extension": EXTENSIONS, "Tus-Max-Size": str(service.MAX_SIZE),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUMS)}))


def _append(user, upload) -> int:
    """Stream this request's body into the upload; the database is not held while it streams."""
    snap = service.snapshot(upload)
    db.session.commit()  # end the read: SQLite would otherwise keep its write lock for the whole body
    with service.exclusive(snap.id):
        fresh = service.get(db.session, user, snap.id)
        if fresh.offset != snap.offset:
            raise AppError("offset_mismatch", _("Upload-Offset does not match the upload."), 409)
        db.session.commit()
        request.max_content_length = snap.length - snap.offset + 1
        try:
            new_offset = service.write_body(snap, request.stream, checksum=_checksum(),
                                            checkpoint=lambda offset: service.save_offset(db.session, snap.id, offset))
        except service.ChecksumMismatch:
            raise AppError("checksum_mismatch", _("The checksum does not match the data."), 460) from None
        service.finish_append(db.session, user, snap.id, new_offset, ip=client_ip())
    return new_offset


@bp.post("/")
def create():
    _require_tus()
    user = _account()
    if "Upload-Defer-Length" in request.headers:
        raise AppError("defer_length", _("Upload-Length is required."), 400)
    upload = service.create(db.session, user, length=_int_header("Upload-Length"),
                            metadata_header=request.headers.get("Upload-Metadata"), ip=client_ip())
    headers = _tus_headers(Location=url_for("uploads.patch", upload_id=upload.id, _external=True),
                           **{"Upload-Expires": service.http_date(upload.expires_at)})
    if upload.length == 0 or (request.content_length and request.mimetype == OFFSET_TYPE):
        # creation-with-upload (and an empty file, which is complete at once)
        headers["Upload-Offset"] = str(_append(user, upload))
    return Response(status=201, headers=headers)


@bp.route("/<upload_id>", methods=["HEAD"])
def head(upload_id: str):
    _require_tus()
    upload = service.get(db.session, _account(), upload_id)
    return Response(status=200, headers=_tus_headers(**{
        "Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length),
        "Upload-Expires": service.http_date(upload.expires_at)}))


@bp.patch("/<upload_id>")
def patch(upload_id: str):
    _require_tus()
    user = _account()
    if request.mimetype != OFFSET_TYPE:
        raise AppError("content_type", _("PATCH needs Content-Type: application/offset+octet-stream."), 415)
    upload = service.get(db.session, user, upload_id)
    if _int_header("Upload-Offset") != upload.offset:
        raise AppError("offset_mismatch", _("Upload-Offset does not match the upload."), 409)
    new_offset = _append(user, upload)
    return Response(status=204, headers=_tus_headers(**{
        "Upload-Offset": str(new_offset), "Upload-Expires": service.http_date(upload.expires_at)}))


@bp.delete("/<upload_id>")
def terminate(upload_id: str):
    _require_tus()
    service.terminate(db.session, _account(), upload_id, ip=client_ip())
    return Response(status=204, headers=_tus_headers())
