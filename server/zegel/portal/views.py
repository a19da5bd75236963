"""Recipient portal pages under /r/<link>."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from zegel.accounts.forms import PostForm, require_post_form
from zegel.errors import AppError
from zegel.extensions import client_ip, db, limiter
from zegel.messages import content
from zegel.messages.downloads import attachment_response, folder_response
from zegel.messages.service import AttachmentInput, closed_reason, is_closed, view_message
from zegel.portal import service
from zegel.security import body_limit

bp = Blueprint("portal", __name__, url_prefix="/r")
MAX_PORTAL_SESSIONS = 20


def _link(token: str) -> service.Link:
    return service.resolve(db.session, token, session.get("portal_choice"))


def _remember(recipient_id: str, token: str) -> None:
    tokens = dict(session.get("portal", {}))
    tokens[recipient_id] = token
    session["portal"] = dict(list(tokens.items())[-MAX_PORTAL_SESSIONS:])


def _landing(token: str, link: service.Link, error=None, status=200, code_sent=False):
    recipient = link.recipient
    closed = closed_reason(link.message, recipient)
    subject = None
    if not closed:
        view = view_message(link.message, None)
        subject = view.subject
    verified = recipient is not None and service.session_recipient(db.session, recipient, session.get("portal"))
    return render_template("portal/landing.html", token=token, message=link.message, recipient=recipient,
                           closed=closed, subject=subject, error=error, form=PostForm(), verified=verified,
                           code_sent=code_sent or (recipient is not None and recipient.code_hmac is not None)), status


@bp.get("/<token>")
def landing(token: str):
    """Shows who sent what and the next step. Sends nothing and records nothing."""
    link = _link(token)
    if link.recipient is not None and link.recipient.method == "account" and current_user.is_authenticated \
            and current_user.email_key == link.recipient.email_key:
        return redirect(url_for("messages.conversation", conversation_id=link.message.conversation_id))
    return _landing(token, link)


def _act(token: str, action):
    require_post_form()
    link = _link(token)
    if link.recipient is None:
        return redirect(url_for("portal.landing", token=token))
    try:
        result = action(link.recipient)
    except AppError as exc:
        if exc.code in ("revoked", "link_unknown"):
            raise
        return _landing(token, link, error=exc.message, status=exc.status)
    if isinstance(result, str):
        _remember(link.recipient.id, result)
        return redirect(url_for("portal.read", token=token))
    return redirect(url_for("portal.landing", token=token))


@bp.post("/<token>/email")
@limiter.limit("20 per minute")
def choose(token: str):
    require_post_form()
    link = _link(token)
    try:
        recipient = service.choose_recipient(link.message, request.form.get("email", ""))
        if recipient.method == "none":
            service.send_personal_link(db.session, recipient, ip=client_ip())
            return render_template("portal/link_sent.html", email=recipient.email, message=link.message)
    except AppError as exc:
        return _landing(token, link, error=exc.message, status=exc.status)
    choice = dict(session.get("portal_choice", {}))
    choice[link.message.id] = recipient.id
    session["portal_choice"] = choice
    return redirect(url_for("portal.landing", token=token))


@bp.post("/<token>/open")
@limiter.limit("30 per minute")
def open_message(token: str):
    return _act(token, lambda r: service.open_unverified(db.session, r, ip=client_ip()))


@bp.post("/<token>/code")
@limiter.limit("10 per minute")
def send_code(token: str):
    return _act(token, lambda r: service.send_code(db.session, r, ip=client_ip()))


@bp.post("/<token>/verify")
@limiter.limit("20 per minute")
def verify(token: str):
    return _act(token, lambda r: service.verify(db.session, r, request.form.get("secret", ""), ip=client_ip()))


@bp.post("/<token>/account")
@limiter.limit("30 per minute")
def open_with_account(token: str):
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=url_for("portal.landing", token=token)))
    return _act(token, lambda r: service.open_with_account(db.session, r, current_user, ip=client_ip()))


def _verified_recipient(token: str):
    link = _link(token)
    recipient = link.recipient
    if recipient is None or not service.session_recipient(db.session, recipient, session.get("portal")):
        return None
    return recipient


@bp.get("/<token>/read")
def read(token: str):
    recipient = _verified_recipient(token)
    if recipient is None:
        return redirect(url_for("portal.landing", token=token))
    if is_closed(recipient.message, recipient):
        return _landing(token, service.Link(recipient.message, recipient))
    items = service.conversation_for(db.session, recipient)
    seen = session.get("portal_seen", [])
    service.record_read(db.session, recipient, ip=client_ip(), audit=recipient.id not in seen)
    if recipient.id not in seen:
        session["portal_seen"] = [*seen, recipient.id][-MAX_PORTAL_SESSIONS:]
    return render_template("portal/read.html", token=token, recipient=recipient, items=items, form=PostForm())


@bp.get("/<token>/attachments/<message_id>/<attachment_id>")
def attachment(token: str, message_id: str, attachment_id: str):
    recipient = _verified_recipient(token)
    if recipient is None:
        raise AppError("not_found", _("This attachment does not exist or is no longer available."), 404)
    message, att = service.find_attachment(db.session, recipient, message_id, attachment_id)
    if request.range is None:  # the later parts of a resumed download are not another download
        service.record_download(db.session, recipient, message, att, ip=client_ip())
    return attachment_response(message, att)


@bp.get("/<token>/folders/<message_id>.zip")
def folder(token: str, message_id: str):
    recipient = _verified_recipient(token)
    if recipient is None:
        raise AppError("not_found", _("This attachment does not exist or is no longer available."), 404)
    message, found = service.find_folder(db.session, recipient, message_id, request.args.get("name", ""))
    service.record_download(db.session, recipient, message, None, ip=client_ip(), folder_files=len(found.files))
    return folder_response(message, found)


@bp.post("/<token>/reply")
@body_limit(50 * 1024 * 1024)  # replies are for a few documents, so nobody with a link can fill the disk
@limiter.limit("10 per minute")
def reply(token: str):
    require_post_form()
    recipient = _verified_recipient(token)
    if recipient is None:
        return redirect(url_for("portal.landing", token=token))
    files = [AttachmentInput(f.filename or "", f.read(), f.mimetype)
             for f in request.files.getlist("attachments") if f and f.filename]
    body = content.text_to_html(request.form.get("body_text", ""))
    try:
        service.reply(db.session, recipient, body, files, ip=client_ip())
    except AppError as exc:
        items = service.conversation_for(db.session, recipient)
        return render_template("portal/read.html", token=token, recipient=recipient, items=items, form=PostForm(),
                               error=exc.message), exc.status
    from flask import flash
    flash(_("Your reply has been sent securely."), "info")
    return redirect(url_for("portal.read", token=token))
