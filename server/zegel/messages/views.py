"""The web mailbox ("online veilig postvak"): folders, conversations, compose, details, revoke, downloads."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from zegel.accounts.forms import PostForm
from zegel.accounts.service import find_user_by_email
from zegel.errors import AppError
from zegel.extensions import client_ip, db
from zegel.messages import service
from zegel.messages.downloads import attachment_response
from zegel.messages.models import METHODS

bp = Blueprint("messages", __name__)
COMPOSE_ROWS = 5
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


def _recipient_rows(form) -> list[service.RecipientInput]:
    rows = []
    for i in range(min(int(form.get("rows", COMPOSE_ROWS) or 0), service.MAX_RECIPIENTS)):
        email = (form.get(f"r{i}_email") or "").strip()
        if not email:
            continue
        rows.append(service.RecipientInput(
            email=email, kind=form.get(f"r{i}_kind", "to"), method=form.get(f"r{i}_method", "none"),
            phone=form.get(f"r{i}_phone") or None, password=form.get(f"r{i}_password") or None,
            remember=form.get(f"r{i}_default") == "1"))
    return rows


@bp.route("/compose", methods=["GET", "POST"])
@login_required
def compose():
    form = PostForm()
    status, error = 200, None
    if request.method == "POST":
        # Large enough for 20 attachments of 25 MB; the 50 GB path uses resumable uploads.
        request.max_content_length = MAX_COMPOSE_BYTES
        request.max_form_memory_size = 2 * 1024 * 1024
        if not form.validate_on_submit():
            raise AppError("csrf_failed", _("This form has expired or did not come from this site. Reload the page "
                                            "and try again."), 400)
        body = request.form.get("body_html") or service.content.text_to_html(request.form.get("body_text", ""))
        files = [service.AttachmentInput(f.filename or "", f.read(), f.mimetype)
                 for f in request.files.getlist("attachments") if f and f.filename]
        try:
            sent = service.send_message(db.session, current_user, recipients=_recipient_rows(request.form),
                                        subject=request.form.get("subject", ""), body_html=body,
                                        attachments=files, ip=client_ip())
        except AppError as exc:
            status, error = exc.status, exc.message
        else:
            return redirect(url_for("messages.conversation", conversation_id=sent.message.conversation_id,
                                    sent=1))
    org = current_user.organisation
    return render_template("messages/compose.html", form=form, error=error, rows=COMPOSE_ROWS, methods=METHODS,
                           org_default=org.default_verification, values=request.form, active="compose",
                           defaults=service.recipient_defaults(db.session, current_user)), status


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
    failures = {r.id: service.delivery_failed(db.session, r) for r in message.recipients}
    return render_template("messages/details.html", view=view, failures=failures, form=PostForm(), active=None)


def _post_action(message_id: str, fn, done: str):
    if not PostForm().validate_on_submit():
        raise AppError("csrf_failed", _("Reload the page and try again."), 400)
    fn()
    from flask import flash
    flash(done, "info")
    return redirect(url_for("messages.details", message_id=message_id))


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
    message, att = service.open_attachment(db.session, current_user, message_id, attachment_id)
    return attachment_response(message, att)
