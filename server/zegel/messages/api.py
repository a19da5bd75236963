"""JSON API for messages, used by the Outlook add-in: send, read status, conversations, revoke/restore."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from zegel.api.auth import bearer_required
from zegel.clock import utcnow
from zegel.errors import AppError
from zegel.extensions import client_ip, db, limiter
from zegel.messages import service

bp = Blueprint("messages_api", __name__, url_prefix="/api/v1")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def message_json(view: service.MessageView) -> dict:
    m = view.message
    return {
        "id": m.id, "conversation_id": m.conversation_id, "subject": view.subject, "body_html": view.body_html,
        "author": {"email": m.author_email, "name": m.author_name}, "created_at": _iso(m.created_at),
        "expires_at": _iso(m.expires_at), "revoked": m.revoked_at is not None,
        # Read counts would reveal how many Bcc recipients there are: the sender's only.
        "read_status": {"read": view.read, "total": view.total} if view.mine else None,
        "recipients": [{"id": r.id, "email": r.email, "type": r.kind, "method": r.method,
                        "notified_at": _iso(r.notified_at), "read_at": _iso(r.first_read_at),
                        "revoked": r.revoked_at is not None, "downloads": r.downloads,
                        "verify_failures": r.verify_failures} for r in m.recipients] if view.mine else [],
        "attachments": [{"id": a.id, "name": name, "size": a.size, "removed": a.removed_at is not None}
                        for a, name in view.attachments],
    }


def _recipients(raw) -> list[service.RecipientInput]:
    if not isinstance(raw, list):
        raise AppError("invalid_field", _("The field '%(name)s' has the wrong type.", name="recipients"), 400)
    out = []
    for item in raw:
        verification = item.get("verification", {}) if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(verification, dict) \
                or not all(isinstance(item.get(k, ""), str) for k in ("email", "type")) \
                or not all(isinstance(verification.get(k, ""), (str, type(None))) for k in ("method", "phone", "password")):
            raise AppError("invalid_field", _("The field '%(name)s' has the wrong type.", name="recipients"), 400)
        out.append(service.RecipientInput(email=item.get("email", ""), kind=item.get("type", "to"),
                                          method=verification.get("method") or "none",
                                          phone=verification.get("phone"), password=verification.get("password"),
                                          remember=bool(item.get("remember"))))
    return out


def _send(data, *, notify: bool) -> service.SentMessage:
    if not isinstance(data, dict):
        raise AppError("invalid_json", _("Send a JSON object with Content-Type: application/json."), 400)
    expires_at = None
    if data.get("expires_at") is not None:
        try:
            expires_at = datetime.fromisoformat(str(data["expires_at"]))
        except ValueError:
            expires_at = None
        if expires_at is None or expires_at.tzinfo is None or expires_at <= utcnow():
            raise AppError("invalid_field", _("The field '%(name)s' has the wrong type.", name="expires_at"), 400)
    for name in ("subject", "body_html", "reply_to"):
        if not isinstance(data.get(name) or "", str):
            raise AppError("invalid_field", _("The field '%(name)s' has the wrong type.", name=name), 400)
    reply_to = service.get_message(db.session, g.api_user, data["reply_to"]) if data.get("reply_to") else None
    return service.send_message(db.session, g.api_user, recipients=_recipients(data.get("recipients")),
                                subject=data.get("subject", ""), body_html=data.get("body_html", ""),
                                reply_to=reply_to, expires_at=expires_at, upload_ids=data.get("attachments") or [],
                                ip=client_ip(), notify=notify)


def _sent_json(sent: service.SentMessage) -> dict:
    m = sent.message
    return {"id": m.id, "conversation_id": m.conversation_id, "link": sent.link,
            "recipients": [{"id": r.id, "email": r.email, "method": r.method} for r in m.recipients]}


@bp.post("/messages")
@bearer_required
@limiter.limit("60 per minute")
def send():
    return jsonify(_sent_json(_send(request.get_json(silent=True), notify=True))), 201


@bp.post("/messages/outlook")
@bearer_required
@limiter.limit("60 per minute")
def send_from_outlook():
    """The add-in's send: the message is stored like any other, but Zegel sends no notifications;
    the add-in replaces the Outlook item's body with the placeholder (and its Outlook attachments
    arrive as uploads), so Outlook itself delivers the link."""
    sent = _send(request.get_json(silent=True), notify=False)
    html, text = service.placeholder(g.api_user, service.view_message(sent.message, g.api_user.id).subject, sent.link)
    return jsonify({**_sent_json(sent), "placeholder_html": html, "placeholder_text": text}), 201


@bp.get("/messages/<message_id>")
@bearer_required
def get(message_id: str):
    message = service.get_message(db.session, g.api_user, message_id)
    return jsonify(message_json(service.view_message(message, g.api_user.id)))


@bp.get("/conversations")
@bearer_required
def conversations():
    folder = request.args.get("folder", "inbox")
    if folder not in ("inbox", "sent"):
        raise AppError("invalid_field", _("The field '%(name)s' has the wrong type.", name="folder"), 400)
    items = service.list_conversations(db.session, g.api_user, folder)
    return jsonify(items=[{"id": conv.id, "subject": view.subject, "last_message_at": _iso(conv.last_message_at),
                           "last_message_id": view.message.id,
                           "read_status": {"read": view.read, "total": view.total} if view.mine else None}
                          for conv, view in items])


def _after(message_id: str):
    message = service.get_message(db.session, g.api_user, message_id)
    return jsonify(message_json(service.view_message(message, g.api_user.id)))


@bp.delete("/messages/<message_id>")
@bearer_required
def delete(message_id: str):
    service.delete_message(db.session, g.api_user, message_id, ip=client_ip())
    return "", 204


@bp.post("/messages/<message_id>/revoke")
@bearer_required
def revoke(message_id: str):
    service.set_message_revoked(db.session, g.api_user, message_id, True, ip=client_ip())
    return _after(message_id)


@bp.post("/messages/<message_id>/restore")
@bearer_required
def restore(message_id: str):
    service.set_message_revoked(db.session, g.api_user, message_id, False, ip=client_ip())
    return _after(message_id)


@bp.post("/messages/<message_id>/recipients/<recipient_id>/revoke")
@bearer_required
def revoke_recipient(message_id: str, recipient_id: str):
    service.set_recipient_revoked(db.session, g.api_user, message_id, recipient_id, True, ip=client_ip())
    return _after(message_id)


@bp.post("/messages/<message_id>/recipients/<recipient_id>/restore")
@bearer_required
def restore_recipient(message_id: str, recipient_id: str):
    service.set_recipient_revoked(db.session, g.api_user, message_id, recipient_id, False, ip=client_ip())
    return _after(message_id)
