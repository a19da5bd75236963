"""JSON API for messages, used by the Outlook add-in: recipient checks, send, read status, conversations,
revoke/restore."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify, request

from zegel.api.auth import bearer_required, valid_bearer
from zegel.api.payload import decode_files
from zegel.clock import utcnow
from zegel.errors import not_a_json_object, wrong_type
from zegel.extensions import client_ip, db, limiter
from zegel.messages import service
from zegel.security import body_limit

bp = Blueprint("messages_api", __name__, url_prefix="/api/v1")

# The Outlook item's own attachments come inline, base64 in the JSON (larger files go through the tus
# uploads). Base64 takes 4 bytes for every 3; the rest is room for subject, body and recipients.
MAX_OUTLOOK_FILES = 40 * 1024 * 1024
MAX_OUTLOOK_REQUEST = MAX_OUTLOOK_FILES * 4 // 3 + 4 * 1024 * 1024


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def message_json(view: service.MessageView) -> dict:
    m = view.message
    return {
        "id": m.id, "conversation_id": m.conversation_id, "subject": view.subject, "body_html": view.body_html,
        "author": {"email": m.author_email, "name": m.author_name}, "created_at": _iso(m.created_at),
        "expires_at": _iso(m.expires_at), "revoked": m.revoked_at is not None,
        # "revoked" or "expired" when the caller, a recipient, may see only a notice instead of the content.
        "closed": view.closed,
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
        raise wrong_type("recipients")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise wrong_type("recipients")
        # Left out (or null): no verification chosen yet, which a lookup allows and a send treats as "none".
        verification = item["verification"] if item.get("verification") is not None else {}
        if not isinstance(verification, dict) \
                or not all(isinstance(item.get(k, ""), str) for k in ("email", "type")) \
                or not all(isinstance(verification.get(k, ""), (str, type(None)))
                           for k in ("method", "phone", "password")):
            raise wrong_type("recipients")
        out.append(service.RecipientInput(email=item.get("email", ""), kind=item.get("type", "to"),
                                          method=verification.get("method") or "none",
                                          phone=verification.get("phone"), password=verification.get("password"),
                                          remember=bool(item.get("remember"))))
    return out


def _files(raw) -> list[service.AttachmentInput]:
    """The Outlook item's attachments: ``[{name, content_type, content}]`` with ``content`` in base64."""
    return [service.AttachmentInput(f.name, f.data, f.content_type)
            for f in decode_files(raw, max_files=service.MAX_ATTACHMENTS, max_total=MAX_OUTLOOK_FILES)]


def _send(data, *, notify: bool, files: bool = False) -> service.SentMessage:
    if not isinstance(data, dict):
        raise not_a_json_object()
    expires_at = None
    if data.get("expires_at") is not None:
        try:
            expires_at = datetime.fromisoformat(str(data["expires_at"]))
        except ValueError:
            expires_at = None
        if expires_at is None or expires_at.tzinfo is None or expires_at <= utcnow():
            raise wrong_type("expires_at")
    for name in ("subject", "body_html", "body_text", "reply_to"):
        if not isinstance(data.get(name) or "", str):
            raise wrong_type(name)
    attachments = _files(data.get("files")) if files else []
    reply_to = service.get_message(db.session, g.api_user, data["reply_to"]) if data.get("reply_to") else None
    body_html = data.get("body_html") or service.content.text_to_html(data.get("body_text") or "")
    subject = data.get("subject") or ""
    if reply_to is not None and data.get("recipients") is None:
        # A reply goes where a reply from the mailbox goes; agreed passwords are given again by address.
        recipients = _reply_recipients(reply_to, data.get("passwords"))
        subject = subject or service.reply_subject(service.view_message(reply_to, g.api_user.id).subject)
    else:
        recipients = _recipients(data.get("recipients"))
    return service.send_message(db.session, g.api_user, recipients=recipients,
                                subject=subject, body_html=body_html,
                                attachments=attachments, reply_to=reply_to, expires_at=expires_at,
                                upload_ids=data.get("attachments") or [], ip=client_ip(), notify=notify)


def _reply_recipients(reply_to, passwords) -> list[service.RecipientInput]:
    passwords = {} if passwords is None else passwords
    if not isinstance(passwords, dict) or not all(isinstance(v, str) for v in passwords.values()):
        raise wrong_type("passwords")
    given = {k.strip().lower(): v for k, v in passwords.items()}
    recipients = service.reply_recipients(db.session, g.api_user, reply_to)
    for r in recipients:
        if r.method == "password":
            r.password = given.get(r.email.lower())
    return recipients


def _sent_json(sent: service.SentMessage) -> dict:
    m = sent.message
    return {"id": m.id, "conversation_id": m.conversation_id, "link": sent.link,
            "recipients": [{"id": r.id, "email": r.email, "method": r.method} for r in m.recipients]}


@bp.post("/recipients/check")
@bearer_required
@limiter.limit("120 per minute")
def check_recipients():
    """What the add-in shows per recipient while composing: account, saved default, normalised phone,
    and what would stop the send. Stores nothing."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise not_a_json_object()
    checks = service.check_recipients(db.session, g.api_user, _recipients(data.get("recipients")))
    return jsonify(org_default=g.api_user.organisation.default_verification,
                   recipients=[{"email": c.email, "has_account": c.has_account, "default": c.default,
                                "phone": c.phone,
                                "problem": str(c.problem.message) if c.problem else None,
                                "problem_code": c.problem.code if c.problem else None} for c in checks])


@bp.post("/messages")
@bearer_required
@limiter.limit("60 per minute")
def send():
    return jsonify(_sent_json(_send(request.get_json(silent=True), notify=True))), 201


@bp.post("/messages/outlook")
@body_limit(MAX_OUTLOOK_REQUEST, when=valid_bearer)  # only a signed-in add-in gets a large body parsed
@bearer_required
@limiter.limit("60 per minute")
def send_from_outlook():
    """The add-in's send: the message is stored like any other, but Zegel sends no notifications;
    the add-in replaces the Outlook item's body with the placeholder, so Outlook itself delivers the
    link. The Outlook item's attachments come inline (``files``, base64) or as uploads."""
    sent = _send(request.get_json(silent=True), notify=False, files=True)
    html, text = service.placeholder(g.api_user, service.view_message(sent.message, g.api_user.id).subject, sent.link)
    return jsonify({**_sent_json(sent), "placeholder_html": html, "placeholder_text": text}), 201


@bp.get("/messages/<message_id>")
@bearer_required
def get(message_id: str):
    message = service.get_message(db.session, g.api_user, message_id)
    return jsonify(message_json(service.view_message(message, g.api_user.id)))


@bp.post("/messages/lookup")
@bearer_required
@limiter.limit("60 per minute")
def lookup():
    """The message behind a Zegel link in an e-mail (the read pane's fallback when Outlook hides the
    x-zegel-message-id header); 404 for a link that is unknown or not the caller's."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("link"), str):
        raise wrong_type("link")
    message = service.message_by_link(db.session, g.api_user, data["link"])
    return jsonify(message_json(service.view_message(message, g.api_user.id)))


@bp.get("/conversations")
@bearer_required
def conversations():
    folder = request.args.get("folder", "inbox")
    if folder not in ("inbox", "sent"):
        raise wrong_type("folder")
    items = service.list_conversations(db.session, g.api_user, folder)
    return jsonify(items=[{"id": conv.id, "subject": view.subject, "last_message_at": _iso(conv.last_message_at),
                           "last_message_id": view.message.id,
                           "read_status": {"read": view.read, "total": view.total} if view.mine else None}
                          for conv, view in items])


@bp.get("/conversations/<conversation_id>")
@bearer_required
def conversation(conversation_id: str):
    """The whole conversation as the caller may see it, oldest first; opening it is a recipient's
    read receipt, as in the web mailbox."""
    conv = service.get_conversation(db.session, g.api_user, conversation_id)
    views = [service.view_message(m, g.api_user.id) for m in conv.messages
             if service.can_read(db.session, g.api_user, m)]
    body = {"id": conv.id, "subject": views[0].subject, "messages": [message_json(v) for v in views]}
    service.mark_read(db.session, g.api_user, conv, ip=client_ip())
    return jsonify(body)


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
