"""Streaming, decrypting attachment downloads with the real file name."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response

from zegel.messages import content, service
from zegel.messages.models import Attachment, Message


def content_disposition(filename: str) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` for names that are not plain ASCII."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 else "_" for c in filename).replace('"', "'").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment_response(message: Message, attachment: Attachment) -> Response:
    dek = content.message_dek(service._keyring(), message)
    name = content.open_text(dek, message.id, f"attachment-name:{attachment.id}", attachment.name_ct)
    resp = Response(service.attachment_chunks(message, attachment), mimetype="application/octet-stream",
                    direct_passthrough=True)
    resp.headers["Content-Length"] = str(attachment.size)
    resp.headers["Content-Disposition"] = content_disposition(name)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp
