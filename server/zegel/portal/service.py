"""Recipient verification and access. A GET of a link changes nothing: codes are
sent, sessions made and reads recorded only after a deliberate POST."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from zegel.accounts import passwords
from zegel.accounts.models import User
from zegel.accounts.service import normalise_email
from zegel.audit.service import record
from zegel.clock import utcnow
from zegel.crypto.tokens import code_hmac, constant_time_equal, new_code, new_token, token_hash
from zegel.delivery import outbox
from zegel.delivery.models import OutboxJob
from zegel.errors import AppError
from zegel.extensions import keyring
from zegel.messages import content
from zegel.messages.models import Attachment, Message, PortalSession, Recipient
from zegel.messages.service import (
    AttachmentInput,
    check_attachments,
    check_not_removed,
    closed_reason,
    folder_files,
    is_closed,
    new_message,
)

CODE_LIFETIME = timedelta(minutes=10)
CODE_ATTEMPTS = 5
MAX_CODE_SENDS = 5
RESEND_INTERVAL = timedelta(seconds=30)
SENDER_CODES_PER_HOUR = 200  # caps SMS cost if one sender's messages are used to pump codes
LOCK_AFTER_FAILURES = 10
PORTAL_SESSION = timedelta(hours=8)  # a working day

NOT_FOUND = ("link_unknown", _l("This link is not (or no longer) valid. Check that you copied the whole link."), 404)
LOCKED = ("recipient_locked", _l("Too many failed attempts: this message is locked for you. Contact the sender "
                                 "to get access again."), 403)


def _hmac_key() -> bytes:
    return keyring().derive("recipient-codes")


@dataclass
class Link:
    message: Message
    recipient: Recipient | None  # None: a message-level link whose reader has not said who they are


def resolve(session: Session, token: str, chosen: dict | None = None) -> Link:
    """A per-recipient link, or the message-level link plus the recipient chosen in this browser."""
    digest = token_hash(token or "")
    recipient = session.scalar(select(Recipient).where(Recipient.link_hash == digest))
    if recipient is not None:
        return Link(recipient.message, recipient)
    message = session.scalar(select(Message).where(Message.link_hash == digest))
    if message is None:
        raise AppError(*NOT_FOUND)
    chosen_id = (chosen or {}).get(message.id)
    recipient = next((r for r in message.recipients if r.id == chosen_id), None)
    return Link(message, recipient)


def choose_recipient(message: Message, email: str) -> Recipient:
    _display, key = normalise_email(email)
    recipient = next((r for r in message.recipients if r.email_key == key), None)
    if recipient is None:
        raise AppError("not_a_recipient", _l("Use the e-mail address at which you received this message."), 400)
    return recipient


PERSONAL_LINK_INTERVAL = timedelta(minutes=1)


def send_personal_link(session: Session, recipient: Recipient, *, ip: str) -> None:
    """Someone typed a "Geen" recipient's address on the message-level link. Anyone holding that
    link could type it, so the message is not opened here: the address gets a new personal link,
    and only its mailbox can open the message. (The previous personal link stops working.)"""
    recipient = _locked_row(session, recipient)
    _usable(recipient)
    now = utcnow()
    # For "Geen" recipients code_sent_at records when a personal link was last sent.
    if recipient.code_sent_at and recipient.code_sent_at + PERSONAL_LINK_INTERVAL > now:
        return
    from zegel.messages.service import enqueue_notification, view_message
    message = recipient.message
    sender = session.get(User, message.sender_id) if message.sender_id else None
    if sender is None:
        raise AppError(*NOT_FOUND)
    token = new_token()
    recipient.link_hash = token_hash(token)
    recipient.code_sent_at = now
    link = f"{current_app.config['ZEGEL'].public_url}/r/{token}"
    account = session.get(User, recipient.user_id) if recipient.user_id else None
    job = enqueue_notification(session, sender, recipient, view_message(message, None).subject, link, account)
    recipient.notify_job_id = job.id
    record(session, "portal.link_sent", subject=message.id, ip=ip, recipient=recipient.email_key,
           organisation_id=message.conversation.organisation_id)
    session.commit()


def _usable(recipient: Recipient) -> None:
    if is_closed(recipient.message, recipient):
        raise AppError("revoked", _l("This message has been revoked."), 410)
    if recipient.locked_at is not None:
        raise AppError(*LOCKED)


def _locked_row(session: Session, recipient: Recipient) -> Recipient:
    """The recipient row, re-read and locked until commit: parallel requests then count
    attempts and sends one after another (PostgreSQL; SQLite serialises writers anyway)."""
    return session.scalar(select(Recipient).where(Recipient.id == recipient.id).with_for_update()
                          .execution_options(populate_existing=True))


def send_code(session: Session, recipient: Recipient, *, ip: str) -> None:
    recipient = _locked_row(session, recipient)
    _usable(recipient)
    if recipient.method != "sms":
        raise AppError("wrong_method", _l("This message is not opened with an SMS code."), 400)
    now = utcnow()
    if recipient.code_sends >= MAX_CODE_SENDS:
        raise AppError("resend_limit", _l("No more codes can be sent. Contact the sender."), 429)
    if recipient.code_sent_at and recipient.code_sent_at + RESEND_INTERVAL > now:
        wait = int((recipient.code_sent_at + RESEND_INTERVAL - now).total_seconds()) + 1
        raise AppError("resend_too_soon", _l("Wait %(s)d seconds before asking for a new code.", s=wait), 429,
                       retry_after=wait)
    # Every SMS sent for this sender's messages in the last hour, whichever recipient asked.
    sender_recipients = select(literal("portal:").concat(Recipient.id)).join(Message).where(
        Message.sender_id == recipient.message.sender_id)
    recent = session.scalar(select(func.count()).select_from(OutboxJob).where(
        OutboxJob.kind == "sms", OutboxJob.created_at > now - timedelta(hours=1),
        OutboxJob.reference.in_(sender_recipients)))
    if recent >= SENDER_CODES_PER_HOUR:
        record(session, "portal.sms_limit", subject=recipient.message_id, ip=ip, recipient=recipient.email_key,
               organisation_id=recipient.message.conversation.organisation_id)
        session.commit()
        raise AppError("sender_limit", _l("Too many codes were requested for this sender's messages. Try again "
                                          "in an hour."), 429, retry_after=3600)
    code = new_code()
    recipient.code_hmac = code_hmac(_hmac_key(), recipient.id, code)
    recipient.code_expires_at = now + CODE_LIFETIME
    recipient.code_sent_at = now
    recipient.code_sends += 1
    recipient.code_attempts = 0
    with force_locale(current_app.config["ZEGEL"].default_language):
        text = gettext("Your code for the secure message from %(name)s is %(code)s. It is valid for 10 minutes.",
                       name=recipient.message.author_name or recipient.message.author_email, code=code)
    outbox.enqueue(session, "sms", {"to": recipient.phone, "text": text}, reference=f"portal:{recipient.id}")
    record(session, "portal.code_sent", subject=recipient.message_id, ip=ip, recipient=recipient.email_key,
           organisation_id=recipient.message.conversation.organisation_id)
    session.commit()


def _fail(session: Session, recipient: Recipient, ip: str, reason: str):
    recipient.verify_failures += 1
    recipient.code_attempts += 1
    if recipient.verify_failures >= LOCK_AFTER_FAILURES:
        recipient.locked_at = utcnow()
    record(session, "portal.verify_failed", subject=recipient.message_id, ip=ip, recipient=recipient.email_key,
           reason=reason, organisation_id=recipient.message.conversation.organisation_id)
    session.commit()
    if recipient.locked_at:
        raise AppError(*LOCKED)


def verify(session: Session, recipient: Recipient, secret: str, *, ip: str) -> str:
    """Check an SMS code or agreed password; returns a portal session token."""
    recipient = _locked_row(session, recipient)
    _usable(recipient)
    now = utcnow()
    if recipient.method == "sms":
        if recipient.code_hmac is None:
            raise AppError("no_code", _l("Ask for a code first."), 400)
        if recipient.code_attempts >= CODE_ATTEMPTS:
            raise AppError("code_locked", _l("Too many wrong codes. Ask for a new code."), 400)
        if recipient.code_expires_at <= now:
            # Like an expired login code: audited, but not counted towards the lock.
            record(session, "portal.verify_failed", subject=recipient.message_id, ip=ip,
                   recipient=recipient.email_key, reason="expired",
                   organisation_id=recipient.message.conversation.organisation_id)
            session.commit()
            raise AppError("code_expired", _l("This code has expired. Ask for a new code."), 400)
        code = "".join((secret or "").split())
        if not (code.isdigit() and len(code) == 6
                and constant_time_equal(code_hmac(_hmac_key(), recipient.id, code), recipient.code_hmac)):
            _fail(session, recipient, ip, "wrong_code")
            left = CODE_ATTEMPTS - recipient.code_attempts
            if left <= 0:
                raise AppError("code_locked", _l("Too many wrong codes. Ask for a new code."), 400)
            raise AppError("invalid_code", _l("This code is not correct. %(n)d attempts left.", n=left), 400)
        recipient.code_hmac = None  # single use
    elif recipient.method == "password":
        # The row stays locked during the hash, so parallel guesses are counted one by one.
        if not passwords.verify_password(recipient.password_hash, secret or ""):
            _fail(session, recipient, ip, "wrong_password")
            raise AppError("wrong_password", _l("This password is not correct."), 400)
    else:
        raise AppError("wrong_method", _l("This message is not opened with a code or password."), 400)
    return _grant(session, recipient, ip, recipient.method)


def open_unverified(session: Session, recipient: Recipient, *, ip: str) -> str:
    """"Geen": the link itself is the key, but opening still takes a deliberate click."""
    _usable(recipient)
    if recipient.method != "none":
        raise AppError("wrong_method", _l("This message needs verification first."), 400)
    return _grant(session, recipient, ip, "none")


def open_with_account(session: Session, recipient: Recipient, user: User, *, ip: str) -> str:
    _usable(recipient)
    if recipient.method != "account" or user.email_key != recipient.email_key:
        raise AppError("wrong_account", _l("Log in with the Zegel account of %(email)s to open this message.",
                                           email=recipient.email), 403)
    return _grant(session, recipient, ip, "account")


def _grant(session: Session, recipient: Recipient, ip: str, method: str) -> str:
    token = new_token()
    now = utcnow()
    session.add(PortalSession(recipient_id=recipient.id, token_hash=token_hash(token), created_at=now,
                              expires_at=now + PORTAL_SESSION))
    record(session, "portal.verified", subject=recipient.message_id, ip=ip, recipient=recipient.email_key,
           method=method, organisation_id=recipient.message.conversation.organisation_id)
    session.commit()
    return token


def session_recipient(session: Session, recipient: Recipient, tokens: dict) -> bool:
    """Whether this browser holds a live portal session for the recipient."""
    token = (tokens or {}).get(recipient.id)
    if not token:
        return False
    row = session.scalar(select(PortalSession).where(PortalSession.token_hash == token_hash(token),
                                                     PortalSession.recipient_id == recipient.id))
    return row is not None and row.revoked_at is None and row.expires_at > utcnow()


@dataclass
class PortalMessage:
    message: Message
    closed: bool
    reason: str | None = None
    subject: str = ""
    body_html: str = ""
    attachments: list = None
    mine: bool = False


def covered_by(verified: Recipient, row: Recipient) -> bool:
    """Whether verifying as ``verified`` also proves the right to read the message of ``row`` (same
    address, same conversation). A weaker check never opens a stronger one: a "Geen" link does not
    show the SMS-protected follow-up, and every agreed password is asked for separately."""
    if row.id == verified.id or row.method == "none":
        return True
    if row.method == verified.method == "sms":
        return row.phone == verified.phone
    return row.method == verified.method == "account"


def conversation_for(session: Session, recipient: Recipient) -> list[PortalMessage]:
    """What this recipient may see of the conversation: messages to them that this verification
    covers, and their own replies to those."""
    ring = keyring()
    out, visible = [], set()
    for message in recipient.message.conversation.messages:
        own = message.sender_id is None and message.author_email.lower() == recipient.email_key
        row = next((r for r in message.recipients if r.email_key == recipient.email_key), None)
        if own:
            if message.reply_to_id not in visible:
                continue
        elif row is None:
            continue
        elif not covered_by(recipient, row):
            out.append(PortalMessage(message, True, "other_check"))
            continue
        if not own and is_closed(message, row):
            out.append(PortalMessage(message, True, closed_reason(message, row)))
            continue
        visible.add(message.id)
        dek = content.message_dek(ring, message)
        atts = [(a, content.open_text(dek, message.id, f"attachment-name:{a.id}", a.name_ct))
                for a in message.attachments]
        out.append(PortalMessage(message, False, subject=content.open_text(dek, message.id, "subject",
                                                                           message.subject_ct),
                                 body_html=content.open_text(dek, message.id, "body", message.body_ct),
                                 attachments=atts, mine=own))
    return out


def record_read(session: Session, recipient: Recipient, *, ip: str, audit: bool = True) -> None:
    """Content was shown: the first time is the read receipt. ``audit`` is false for a reload
    in the same browser session, so the history shows each opening once."""
    now = utcnow()
    for message in recipient.message.conversation.messages:
        row = next((r for r in message.recipients if r.email_key == recipient.email_key), None)
        if row is not None and row.first_read_at is None and not is_closed(message, row) \
                and covered_by(recipient, row):
            row.first_read_at = now
    if audit:
        record(session, "portal.read", subject=recipient.message_id, ip=ip, recipient=recipient.email_key,
               organisation_id=recipient.message.conversation.organisation_id)
    session.commit()


def find_attachment(session: Session, recipient: Recipient, message_id: str, attachment_id: str):
    for item in conversation_for(session, recipient):
        if item.message.id == message_id and not item.closed:
            att = next((a for a, _name in item.attachments if a.id == attachment_id), None)
            if att is not None:
                check_not_removed(att)
                return item.message, att
    raise AppError("not_found", _l("This attachment does not exist or is no longer available."), 404)


def find_folder(session: Session, recipient: Recipient, message_id: str, folder: str):
    for item in conversation_for(session, recipient):
        if item.message.id == message_id and not item.closed:
            found = folder_files(item.attachments, folder)
            for att, _path in found.files:
                check_not_removed(att)
            return item.message, found
    raise AppError("not_found", _l("This attachment does not exist or is no longer available."), 404)


def record_download(session: Session, recipient: Recipient, message: Message, attachment: Attachment | None, *,
                    ip: str, **details) -> None:
    row = next((r for r in message.recipients if r.email_key == recipient.email_key), None)
    if row is not None:
        row.downloads += 1
    record(session, "portal.download", subject=message.id, ip=ip, recipient=recipient.email_key,
           organisation_id=message.conversation.organisation_id,
           **({"attachment": attachment.id} if attachment is not None else {}), **details)
    session.commit()


def reply(session: Session, recipient: Recipient, body_html: str, attachments: list[AttachmentInput], *,
          ip: str) -> Message:
    """The recipient answers securely; the reply goes to the author of the message they read."""
    _usable(recipient)
    body_html = content.clean_body(body_html)
    if not body_html.strip():
        raise AppError("empty_reply", _l("Write a reply first."), 400)
    check_attachments(attachments)
    original = recipient.message
    author = session.get(User, original.sender_id) if original.sender_id else None
    if author is None:
        raise AppError("cannot_reply", _l("This message cannot be answered."), 400)
    ring = keyring()
    subject = content.open_text(content.message_dek(ring, original), original.id, "subject", original.subject_ct)
    subject = subject if subject.lower().startswith(("re:", "antw:")) else f"Re: {subject}"[:200]
    draft = new_message(session, original.conversation, sender_id=None, author_email=recipient.email,
                        author_name="", subject=subject, body_html=body_html, attachments=attachments,
                        reply_to_id=original.id)
    message = draft.message
    try:
        back = Recipient(message=message, position=0, kind="to", email=author.email, email_key=author.email_key,
                         user_id=author.id, method="account", link_hash=token_hash(new_token()))
        session.add(back)
        session.flush()
        link = f"{current_app.config['ZEGEL'].public_url}/conversations/{original.conversation_id}"
        with force_locale(author.language or current_app.config["ZEGEL"].default_language):
            who = {"name": recipient.email, "email": recipient.email}
            ctx = {"sender": who, "subject": subject, "link": link, "method": "account", "phone_hint": ""}
            mail = {"to": author.email, "subject": gettext("Secure reply from %(email)s: %(subject)s",
                                                           email=recipient.email, subject=subject),
                    "text": render_template("email/notification.txt", **ctx),
                    "html": render_template("email/notification.html", **ctx)}
        back.notify_job_id = outbox.enqueue(session, "email", mail, reference=f"notify:{back.id}").id
        # Filed under the message that was answered, so it shows in that message's history.
        record(session, "portal.reply", subject=original.id, ip=ip, recipient=recipient.email_key,
               reply=message.id, organisation_id=original.conversation.organisation_id)
        session.commit()
    except BaseException:
        session.rollback()
        draft.discard()
        raise
    return message
