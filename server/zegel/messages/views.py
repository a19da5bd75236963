"""The web mailbox ("online veilig postvak"): folders, conversations, compose, details, revoke, downloads."""
from __future__ import annotations

import csv
import io
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from zegel.accounts.forms import PostForm, require_post_form
from zegel.accounts.service import find_user_by_email
from zegel.errors import AppError
from zegel.extensions import client_ip, db
from zegel.messages import service
from zegel.messages.downloads import attachment_response, folder_response
from zegel.messages.models import METHODS
from zegel.security import body_limit
from zegel.uploads import service as uploads

bp = Blueprint("messages", __name__)
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
COMPOSE_ROWS = 5
# Large enough for 20 attachments of 25 MB; the 50 GB path uses resumable uploads.
MAX_COMPOSE_BYTES = 20 * 25 * 1024 * 1024 + 4 * 1024 * 1024


@bp.get("/")
def index():
    return redirect(url_for("messages.inbox" if current_user.is_authenticated else "accounts.login"))


@bp.get("/inbox")
@login_required
def inbox():
    items = service.list_conversations(db.session, current_user, "inbox")
    return render_template("messages/folder.html", items=items, folder="inbox", active="inbox")


@bp.get("/sent")
@login_required
def sent():
    items = service.list_conversations(db.session, current_user, "sent")
    return render_template("messages/folder.html", items=items, folder="sent", active="sent")


@bp.get("/conversations/<conversation_id>")
@login_required
def conversation(conversation_id: str):
    conv = service.get_conversation(db.session, current_user, conversation_id)
    views = [service.view_message(m, current_user.id) for m in conv.messages
             if service.can_read(db.session, current_user, m)]
    service.mark_read(db.session, current_user, conv, ip=client_ip())
    return render_template("messages/conversation.html", conversation=conv, views=views, form=PostForm(),
                           active=None)


def _row_count(values) -> int:
    raw = str(values.get("rows") or "")
    return min(int(raw), service.MAX_RECIPIENTS) if raw.isascii() and raw.isdigit() else COMPOSE_ROWS


def _recipient_rows(form) -> list[service.RecipientInput]:
    rows = []
    for i in range(_row_count(form)):
        email = (form.get(f"r{i}_email") or "").strip()
        if not email:
            continue
        rows.append(service.RecipientInput(
            email=email, kind=form.get(f"r{i}_kind", "to"), method=form.get(f"r{i}_method", "none"),
            phone=form.get(f"r{i}_phone") or None, password=form.get(f"r{i}_password") or None,
            remember=form.get(f"r{i}_default") == "1"))
    return rows


def _expiry(raw: str | None):
    """A date from the form means: available until the end of that day, Dutch time."""
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise AppError("invalid_expiry", _("Enter the expiry date as a date, such as 2027-01-31."), 400) from None
    expires = datetime.combine(day, time(23, 59, 59), LOCAL_TZ)
    if expires <= datetime.now(LOCAL_TZ):
        raise AppError("invalid_expiry", _("The expiry date must be in the future."), 400)
    return expires


@bp.route("/compose", methods=["GET", "POST"])
@body_limit(MAX_COMPOSE_BYTES, when=lambda: current_user.is_authenticated)
@login_required
def compose():
    form = PostForm()
    status, error = 200, None
    reply_to = None
    reply_id = request.values.get("reply_to")
    if reply_id:
        reply_to = service.get_message(db.session, current_user, reply_id)
    if request.method == "POST":
        require_post_form()
        body = request.form.get("body_html") or service.content.text_to_html(request.form.get("body_text", ""))
        files = [service.AttachmentInput(f.filename or "", f.read(), f.mimetype)
                 for f in request.files.getlist("attachments") if f and f.filename]
        try:
            sent = service.send_message(db.session, current_user, recipients=_recipient_rows(request.form),
                                        subject=request.form.get("subject", ""), body_html=body,
                                        attachments=files, upload_ids=request.form.getlist("upload"),
                                        reply_to=reply_to,
                                        expires_at=_expiry(request.form.get("expires")), ip=client_ip())
        except AppError as exc:
            status, error = exc.status, exc.message
        else:
            return redirect(url_for("messages.conversation", conversation_id=sent.message.conversation_id,
                                    sent=1))
    org = current_user.organisation
    values = request.form
    if request.method == "GET" and reply_to is not None:
        values = _reply_values(reply_to)
    rows = max(COMPOSE_ROWS, _row_count(values))
    return render_template("messages/compose.html", form=form, error=error, rows=rows, methods=METHODS,
                           org_default=org.default_verification, values=values, active="compose",
                           reply_to=reply_to, expiry_days=org.default_expiry_days,
                           uploads=uploads.describe(db.session, current_user, request.form.getlist("upload"))), status


def _reply_values(message) -> dict:
    view = service.view_message(message, current_user.id)
    values = {"subject": service.reply_subject(view.subject)}
    recipients = service.reply_recipients(db.session, current_user, message)
    for i, r in enumerate(recipients):
        values.update({f"r{i}_email": r.email, f"r{i}_kind": r.kind, f"r{i}_method": r.method,
                       f"r{i}_phone": r.phone or ""})
    values["rows"] = str(len(recipients))
    return values


@bp.get("/compose/recipient")
@login_required
def recipient_info():
    """Whether an address has a Zegel account here, and the sender's saved default for it."""
    email = (request.args.get("email") or "").strip().lower()
    account = find_user_by_email(db.session, email) if email else None
    default = service.recipient_defaults(db.session, current_user).get(email)
    return jsonify(has_account=bool(account and account.active), default=default)


@bp.get("/messages/<message_id>")
@login_required
def details(message_id: str):
    message = service.get_message(db.session, current_user, message_id)
    view = service.view_message(message, current_user.id)
    if not view.mine:
        # Details list every recipient, Bcc included: only for the sender.
        raise AppError("not_found", _("This message does not exist or is not yours."), 404)
    failures = {r.id: service.delivery_failed(db.session, r) for r in message.recipients}
    trail = service.audit_trail(db.session, current_user, message_id) if view.mine else []
    return render_template("messages/details.html", view=view, failures=failures, form=PostForm(), active=None,
                           trail=trail)


def _post_action(message_id: str, fn, done: str):
    require_post_form()
    fn()
    from flask import flash
    flash(done, "info")
    return redirect(url_for("messages.details", message_id=message_id))


@bp.get("/messages/<message_id>/audit.csv")
@login_required
def audit_csv(message_id: str):
    """The trail of one's own message, for a complaint or an investigation."""
    events = service.audit_trail(db.session, current_user, message_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["seq", "time_utc", "action", "recipient", "ip", "details", "hash"])
    for e in events:
        details = {k: v for k, v in e.details.items() if k != "recipient"}
        writer.writerow([e.seq, e.created_at.isoformat(), e.action, e.details.get("recipient", ""), e.ip,
                         " ".join(f"{k}={v}" for k, v in sorted(details.items())), e.hash])
    resp = Response(out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="zegel-audit-{message_id}.csv"'
    return resp


@bp.post("/messages/<message_id>/revoke")
@login_required
def revoke(message_id: str):
    return _post_action(message_id, lambda: service.set_message_revoked(
        db.session, current_user, message_id, True, ip=client_ip()), _("The message has been revoked."))


@bp.post("/messages/<message_id>/restore")
@login_required
def restore(message_id: str):
    return _post_action(message_id, lambda: service.set_message_revoked(
        db.session, current_user, message_id, False, ip=client_ip()), _("The message is available again."))


@bp.post("/messages/<message_id>/delete")
@login_required
def delete(message_id: str):
    require_post_form()
    conversation_id = service.delete_message(db.session, current_user, message_id, ip=client_ip())
    from flask import flash
    flash(_("The message and its files have been deleted."), "info")
    if db.session.get(service.Conversation, conversation_id) is not None:
        return redirect(url_for("messages.conversation", conversation_id=conversation_id))
    return redirect(url_for("messages.sent"))


@bp.post("/messages/<message_id>/recipients/<recipient_id>/revoke")
@login_required
def revoke_recipient(message_id: str, recipient_id: str):
    return _post_action(message_id, lambda: service.set_recipient_revoked(
        db.session, current_user, message_id, recipient_id, True, ip=client_ip()),
        _("Access has been revoked."))


@bp.post("/messages/<message_id>/recipients/<recipient_id>/restore")
@login_required
def restore_recipient(message_id: str, recipient_id: str):
    return _post_action(message_id, lambda: service.set_recipient_revoked(
        db.session, current_user, message_id, recipient_id, False, ip=client_ip()),
        _("Access has been restored."))


@bp.get("/messages/<message_id>/attachments/<attachment_id>")
@login_required
def attachment(message_id: str, attachment_id: str):
    message, att = service.open_attachment(db.session, current_user, message_id, attachment_id, ip=client_ip(),
                                           count=request.range is None)
    return attachment_response(message, att)


@bp.get("/messages/<message_id>/folder.zip")
@login_required
def folder(message_id: str):
    """A folder that was attached whole, as one zip."""
    message, found = service.open_folder(db.session, current_user, message_id, request.args.get("name", ""),
                                         ip=client_ip())
    return folder_response(message, found)
