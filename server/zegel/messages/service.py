"""Sending, reading and revoking secure messages. Every read checks who asks."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from zegel.accounts import passwords
from zegel.accounts.models import User
from zegel.accounts.service import find_user_by_email, normalise_email, parse_mobile
from zegel.audit.service import record
from zegel.clock import utcnow
from zegel.crypto import envelope, stream
from zegel.crypto.tokens import new_token, token_hash
from zegel.delivery import outbox
from zegel.errors import AppError
from zegel.extensions import blob_store, keyring
from zegel.ids import new_id
from zegel.messages import content
from zegel.messages.models import KINDS, METHODS, Attachment, Conversation, Message, Recipient, RecipientDefault

MAX_RECIPIENTS = 100
MAX_ATTACHMENTS = 20
MAX_UPLOADED_FILES = 1000  # resumable uploads per message: a whole folder may come this way
MAX_PATH_DEPTH = 20
MAX_FORM_ATTACHMENT = 25 * 1024 * 1024
MIN_AGREED_PASSWORD = 8


@dataclass
class RecipientInput:
    email: str
    kind: str = "to"
    method: str = "none"
    phone: str | None = None
    password: str | None = None
    remember: bool = False


@dataclass
class AttachmentInput:
    name: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass
class SentMessage:
    message: Message
    link: str
    recipient_links: dict[str, str] = field(default_factory=dict)  # recipient id → link


def _public_url() -> str:
    return current_app.config["ZEGEL"].public_url


def _clean_filename(name: str) -> str:
    # Control, line-separator and bidi characters would break headers or disguise an extension.
    name = content.replace_unsafe_characters(os.path.basename((name or "").replace("\\", "/"))).strip()
    if not name or name in (".", ".."):
        raise AppError("invalid_attachment", _l("An attachment has no file name."), 400)
    return name[:255]


def clean_attachment_path(name: str, relative_path: str | None = None) -> str:
    """The name an attachment is stored under: the file name, or for a file from a folder its path
    inside that folder ("Rapporten/2026/jaarverslag.pdf"), each part cleaned like a file name."""
    if not relative_path:
        return _clean_filename(name)
    parts = [p for p in relative_path.replace("\\", "/").split("/") if p.strip()]
    if not parts or len(parts) > MAX_PATH_DEPTH:
        raise AppError("invalid_attachment", _l("A folder path is too deep or empty."), 400)
    return "/".join(_clean_filename(p) for p in parts)[:1000]


@dataclass
class Folder:
    """Attachments that came from one folder: shown as one item, downloadable as a zip."""
    name: str
    files: list[tuple[Attachment, str]]  # (attachment, path inside the folder)

    @property
    def size(self) -> int:
        return sum(att.size for att, _path in self.files)


def group_attachments(attachments: list[tuple[Attachment, str]]) -> tuple[list[tuple[Attachment, str]], list[Folder]]:
    """Loose files, and folders by their top-level name, in the order they were added."""
    files, folders = [], {}
    for att, name in attachments:
        top, sep, rest = name.partition("/")
        if sep:
            folders.setdefault(top, Folder(top, [])).files.append((att, rest))
        else:
            files.append((att, name))
    return files, list(folders.values())


def folder_files(attachments: list[tuple[Attachment, str]], folder: str) -> Folder:
    found = next((f for f in group_attachments(attachments)[1] if f.name == folder), None)
    if found is None:
        raise AppError("not_found", _l("This folder does not exist."), 404)
    return found


@dataclass
class CheckedRecipient:
    """A recipient that passed the rules of sending."""
    item: RecipientInput
    display: str  # the address as it will be shown
    key: str  # lower-case, one per address
    account: User | None  # the Zegel account with this address, if any


def check_recipient(session: Session, item: RecipientInput, seen: set[str]) -> CheckedRecipient:
    """One recipient by the rules of sending, or the ``AppError`` saying what is wrong with it.
    ``seen`` holds the addresses of the recipients before it: the second occurrence is the one refused.
    A valid SMS number is normalised in ``item.phone`` (E.164)."""
    display, key = normalise_email(item.email)
    if key in seen:
        raise AppError("duplicate_recipient", _l("%(email)s is listed twice.", email=display), 400)
    seen.add(key)
    if item.kind not in KINDS:
        raise AppError("invalid_recipient", _l("Recipient type must be to, cc or bcc."), 400)
    if item.method not in METHODS:
        raise AppError("invalid_method", _l("Choose a verification method for %(email)s.", email=display), 400)
    account = find_user_by_email(session, key)
    if item.method == "sms":
        item.phone = parse_mobile(item.phone or "")
    elif item.method == "password":
        if len(item.password or "") < MIN_AGREED_PASSWORD:
            raise AppError("invalid_password", _l("The agreed password for %(email)s needs at least %(n)d "
                                                  "characters.", email=display, n=MIN_AGREED_PASSWORD), 400)
    elif item.method == "account" and (account is None or not account.active):
        raise AppError("no_account", _l("%(email)s has no Zegel account: choose another verification.",
                                        email=display), 400)
    return CheckedRecipient(item, display, key, account)


def check_recipient_count(items: list) -> None:
    if len(items) > MAX_RECIPIENTS:
        raise AppError("too_many_recipients", _l("Send to at most %(n)d recipients at once.", n=MAX_RECIPIENTS), 400)


def _validate_recipients(session: Session, items: list[RecipientInput]) -> list[CheckedRecipient]:
    """All recipients of a send; the first problem stops it."""
    if not items:
        raise AppError("no_recipients", _l("Add at least one recipient."), 400)
    check_recipient_count(items)
    seen: set[str] = set()
    return [check_recipient(session, item, seen) for item in items]


@dataclass
class RecipientCheck:
    """What the compose screen shows for one recipient before sending."""
    email: str
    has_account: bool
    default: dict | None  # the sender's saved {method, phone} for this address
    phone: str | None  # E.164, when the method is sms and the number is valid
    problem: AppError | None  # what stops sending to this recipient


def check_recipients(session: Session, sender: User, items: list[RecipientInput]) -> list[RecipientCheck]:
    """Every recipient by the rules of sending, each with its own problem instead of stopping at the
    first (the add-in marks them all at once). Stores nothing."""
    check_recipient_count(items)
    defaults = recipient_defaults(session, sender)
    seen: set[str] = set()
    out = []
    for item in items:
        try:
            checked = check_recipient(session, item, seen)
        except AppError as exc:
            problem, display, key, account = exc, (item.email or "").strip(), None, None
            try:
                display, key = normalise_email(item.email)
            except AppError:
                pass  # an invalid address: shown as typed, with no account and no default
            else:
                account = find_user_by_email(session, key)
        else:
            problem, display, key, account = None, checked.display, checked.key, checked.account
        out.append(RecipientCheck(display, bool(account and account.active), defaults.get(key) if key else None,
                                  item.phone if problem is None and item.method == "sms" else None, problem))
    return out


def check_attachments(attachments: list[AttachmentInput]) -> None:
    if len(attachments) > MAX_ATTACHMENTS:
        raise AppError("too_many_attachments", _l("Add at most %(n)d attachments.", n=MAX_ATTACHMENTS), 400)
    for att in attachments:
        if len(att.data) > MAX_FORM_ATTACHMENT:
            raise AppError("attachment_too_large", _l("%(name)s is larger than 25 MB.", name=att.name), 413)


@dataclass
class Draft:
    """A message added to the session with its attachments already in the blob store."""
    message: Message
    link_token: str
    blobs: list[str]

    def discard(self) -> None:
        """After a rollback: no blobs without a message."""
        for blob_key in self.blobs:
            blob_store().delete(blob_key)


def new_message(session: Session, conversation: Conversation, *, sender_id: str | None, author_email: str,
                author_name: str, subject: str, body_html: str, attachments: list[AttachmentInput],
                reply_to_id: str | None = None, expires_at: datetime | None = None, uploads=()) -> Draft:
    """Encrypt subject, body and attachments under a new data key and add the message to the session."""
    message_id = new_id()
    key = content.new_message_key(keyring(), message_id)
    link = new_token()
    message = Message(
        id=message_id, conversation=conversation, sender_id=sender_id, author_email=author_email,
        author_name=author_name, reply_to_id=reply_to_id, kek_id=key.kek_id, wrapped_dek=key.wrapped_dek,
        subject_ct=content.seal_text(key.dek, message_id, "subject", subject),
        body_ct=content.seal_text(key.dek, message_id, "body", body_html), link_hash=token_hash(link),
        expires_at=expires_at,
    )
    conversation.last_message_at = utcnow()
    session.add(message)
    draft = Draft(message, link, [])
    try:
        for position, att in enumerate(attachments):
            name = _clean_filename(att.name)
            attachment_id = new_id()
            blob_key = f"att/{message_id}/{attachment_id}"
            blob_store().put(blob_key, [stream.encrypt_bytes(key.dek, f"attachment:{attachment_id}", att.data)])
            draft.blobs.append(blob_key)
            session.add(Attachment(id=attachment_id, message=message, position=position, size=len(att.data),
                                   name_ct=content.seal_text(key.dek, message_id, f"attachment-name:{attachment_id}",
                                                             name),
                                   content_type=content.clean_content_type(att.content_type),
                                   blob_key=blob_key))
        for position, upload in enumerate(uploads, start=len(attachments)):
            # The file stays where the upload put it, under its own data key; the upload is used up.
            from zegel.uploads.service import blob_key as upload_blob
            from zegel.uploads.service import metadata
            meta = metadata(upload)
            name = clean_attachment_path(meta.get("filename") or meta.get("name") or "bestand",
                                         meta.get("relativePath"))
            session.add(Attachment(id=upload.id, message=message, position=position, size=upload.length,
                                   name_ct=content.seal_text(key.dek, message_id, f"attachment-name:{upload.id}", name),
                                   content_type=content.clean_content_type(meta.get("filetype")),
                                   blob_key=upload_blob(upload.id), kek_id=upload.kek_id,
                                   wrapped_dek=upload.wrapped_dek))
            session.delete(upload)
    except BaseException:
        session.rollback()  # the message must not stay in the session (an error page would show it)
        draft.discard()
        raise
    return draft


def _check_dlp(session, sender, subject, body_html, attachments, uploads, recipients, ip) -> bool:
    """The organisation's DLP rules, checked again here: a client cannot skip them. The scan ends
    the (so far read-only) transaction while it reads the files; returns whether uploads were read."""
    from zegel.dlp.admin import scan_file
    from zegel.dlp.service import Attachment as ScanFile
    from zegel.dlp.service import check_send
    files = [ScanFile(_clean_filename(a.name), data=a.data) for a in attachments]
    files += [scan_file(upload) for upload in uploads]
    check_send(session, sender, subject=subject, body_html=body_html, attachments=files, recipients=recipients,
               ip=ip)
    return bool(uploads)


def send_message(session: Session, sender: User, *, recipients: list[RecipientInput], subject: str, body_html: str,
                 attachments: list[AttachmentInput] = (), reply_to: Message | None = None,
                 expires_at: datetime | None = None, upload_ids: list[str] = (), ip: str = "",
                 notify: bool = True) -> SentMessage:
    """Validate everything, store the attachments, then commit the message and its notifications at once.
    ``upload_ids`` attach finished resumable uploads (up to 50 GB each). With ``notify`` false Zegel
    sends no notification e-mails: Outlook sends the placeholder with the message-level link instead."""
    from zegel.uploads.service import claim
    subject = content.clean_subject(subject)
    body_html = content.clean_body(body_html)
    checked = _validate_recipients(session, recipients)
    check_attachments(attachments)
    uploads = claim(session, sender, upload_ids, limit=MAX_UPLOADED_FILES) if upload_ids else []
    if _check_dlp(session, sender, subject, body_html, attachments, uploads, [c.item for c in checked], ip):
        uploads = claim(session, sender, upload_ids, limit=MAX_UPLOADED_FILES)  # fresh rows after the scan
    org = sender.organisation
    if expires_at is None and org.default_expiry_days:
        expires_at = utcnow() + timedelta(days=org.default_expiry_days)
    conversation = reply_to.conversation if reply_to else Conversation(organisation_id=org.id)
    draft = new_message(session, conversation, sender_id=sender.id, author_email=sender.email,
                        author_name=sender.name, subject=subject, body_html=body_html, attachments=attachments,
                        reply_to_id=reply_to.id if reply_to else None, expires_at=expires_at, uploads=uploads)
    message = draft.message
    try:
        sent = SentMessage(message, f"{_public_url()}/r/{draft.link_token}")
        for position, checked_recipient in enumerate(checked):
            item, display, key_email, account = (checked_recipient.item, checked_recipient.display,
                                                 checked_recipient.key, checked_recipient.account)
            token = new_token()
            recipient = Recipient(
                message=message, position=position, kind=item.kind, email=display, email_key=key_email,
                user_id=account.id if account else None, method=item.method,
                phone=item.phone if item.method == "sms" else None,
                password_hash=passwords.hash_password(item.password) if item.method == "password" else None,
                link_hash=token_hash(token),
            )
            session.add(recipient)
            session.flush()
            sent.recipient_links[recipient.id] = f"{_public_url()}/r/{token}"
            if notify:
                job = enqueue_notification(session, sender, recipient, subject, sent.recipient_links[recipient.id],
                                            account)
                recipient.notify_job_id = job.id
            else:
                # Outlook sends the placeholder as soon as the add-in lets the send go on, right after this.
                recipient.notified_at = message.created_at or utcnow()
            if item.remember:
                _remember_default(session, sender, key_email, item.method, recipient.phone)
        record(session, "message.sent", actor=sender, ip=ip, subject=message.id,
               conversation=conversation.id, recipients=len(checked), attachments=len(attachments) + len(uploads),
               **({} if notify else {"via": "outlook"}))
        session.commit()
    except BaseException:
        session.rollback()
        draft.discard()
        raise
    return sent


def _remember_default(session: Session, sender: User, email_key: str, method: str, phone: str | None) -> None:
    row = session.scalar(select(RecipientDefault).where(RecipientDefault.user_id == sender.id,
                                                        RecipientDefault.email_key == email_key))
    if row is None:
        row = RecipientDefault(user_id=sender.id, email_key=email_key)
        session.add(row)
    row.method, row.phone, row.updated_at = method, phone, utcnow()


def recipient_defaults(session: Session, sender: User) -> dict[str, dict]:
    """email → {method, phone} for pre-filling the compose screen."""
    rows = session.scalars(select(RecipientDefault).where(RecipientDefault.user_id == sender.id))
    return {r.email_key: {"method": r.method, "phone": r.phone} for r in rows}


def enqueue_notification(session: Session, sender: User, recipient: Recipient, subject: str, link: str,
                          account: User | None):
    language = (account.language if account else None) or sender.language or current_app.config["ZEGEL"].default_language
    with force_locale(language):
        context = {"sender": sender, "subject": subject, "link": link, "method": recipient.method,
                   "phone_hint": _phone_hint(recipient.phone)}
        mail_subject = gettext("Secure message from %(name)s: %(subject)s", name=sender.name, subject=subject)
        text = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
    # No Reply-To: answering the notification in a mail program would send the reply unencrypted.
    return outbox.enqueue(session, "email", {"to": recipient.email, "subject": mail_subject, "text": text,
                                             "html": html},
                          reference=f"notify:{recipient.id}")


def placeholder(sender: User, subject: str, link: str) -> tuple[str, str]:
    """The e-mail Outlook sends instead of the secure message (HTML, text), in the sender's language:
    who sent it, the subject, and the message-level link, which asks each recipient who they are."""
    with force_locale(sender.language or current_app.config["ZEGEL"].default_language):
        context = {"sender": sender, "subject": subject, "link": link}
        return render_template("email/placeholder.html", **context), render_template("email/placeholder.txt", **context)


def _phone_hint(phone: str | None) -> str:
    return f"••••{phone[-2:]}" if phone else ""


# --- reading ------------------------------------------------------------------------

def can_read(session: Session, user: User, message: Message) -> bool:
    if message.sender_id == user.id:
        return True
    return session.scalar(select(Recipient.id).where(Recipient.message_id == message.id,
                                                     Recipient.user_id == user.id)) is not None


def get_conversation(session: Session, user: User, conversation_id: str) -> Conversation:
    """The conversation, if the user wrote or received a message in it; 404 otherwise, whatever the id."""
    conversation = session.get(Conversation, conversation_id) if conversation_id else None
    if conversation is None or not any(can_read(session, user, m) for m in conversation.messages):
        raise AppError("not_found", _l("This conversation does not exist or is not yours."), 404)
    return conversation


def get_message(session: Session, user: User, message_id: str) -> Message:
    message = session.get(Message, message_id) if message_id else None
    if message is None or not can_read(session, user, message):
        raise AppError("not_found", _l("This message does not exist or is not yours."), 404)
    return message


def message_by_link(session: Session, user: User, link: str) -> Message:
    """The message a Zegel link (message-level or personal) points at, for a user who may read it:
    how the read pane finds the message of a placeholder when Outlook shows it no header."""
    match = re.search(r"/r/([A-Za-z0-9_-]{16,128})(?:[/?#]|$)", link or "")
    digest = token_hash(match.group(1)) if match else None
    message = None
    if digest:
        message = session.scalar(select(Message).where(Message.link_hash == digest))
        if message is None:
            recipient = session.scalar(select(Recipient).where(Recipient.link_hash == digest))
            message = recipient.message if recipient is not None else None
    if message is None or not can_read(session, user, message):
        raise AppError("not_found", _l("This message does not exist or is not yours."), 404)
    return message


@dataclass
class MessageView:
    message: Message
    subject: str
    body_html: str
    attachments: list[tuple[Attachment, str]]
    read: int
    total: int
    mine: bool
    closed: str | None = None  # "revoked" or "expired" for a recipient who may no longer read it


def view_message(message: Message, user_id: str | None) -> MessageView:
    """The message as ``user_id`` may see it: a recipient whose access was revoked, or whose
    message expired, gets the subject and a notice, not the content."""
    mine = user_id is not None and message.sender_id == user_id
    total = len(message.recipients)
    read = sum(1 for r in message.recipients if r.first_read_at)
    if not mine and user_id is not None:
        row = next((r for r in message.recipients if r.user_id == user_id), None)
        reason = closed_reason(message, row)
        if reason:
            dek = content.message_dek(keyring(), message)
            return MessageView(message, content.open_text(dek, message.id, "subject", message.subject_ct), "", [],
                               read, total, False, reason)
    dek = content.message_dek(keyring(), message)
    atts = [(a, content.open_text(dek, message.id, f"attachment-name:{a.id}", a.name_ct)) for a in message.attachments]
    return MessageView(message, content.open_text(dek, message.id, "subject", message.subject_ct),
                       content.open_text(dek, message.id, "body", message.body_ct), atts, read, total, mine)


def list_conversations(session: Session, user: User, folder: str) -> list[tuple[Conversation, MessageView]]:
    """Inbox: conversations with a message to the user; sent: with a message from the user. Newest first."""
    if folder == "sent":
        condition = Message.sender_id == user.id
    else:
        condition = Message.id.in_(select(Recipient.message_id).where(Recipient.user_id == user.id))
    conversations = session.scalars(select(Conversation).where(
        Conversation.id.in_(select(Message.conversation_id).where(condition))
    ).order_by(Conversation.last_message_at.desc()).limit(200))
    out = []
    for conv in conversations:
        visible = [m for m in conv.messages if can_read(session, user, m)]
        out.append((conv, view_message(visible[-1], user.id)))
    return out


def mark_read(session: Session, user: User, conversation: Conversation, *, ip: str = "") -> None:
    """A Zegel-account recipient opened the conversation in their mailbox: that is their read receipt."""
    now, changed = utcnow(), False
    for message in conversation.messages:
        for row in message.recipients:
            if row.user_id == user.id and row.first_read_at is None and not is_closed(message, row):
                row.first_read_at, changed = now, True
                record(session, "message.read", actor=user, ip=ip, subject=message.id)
    if changed:
        session.commit()


def open_attachment(session: Session, user: User, message_id: str, attachment_id: str, *, ip: str = "",
                    count: bool = True):
    """An attachment for the sender or a recipient who may still read the message; counted and audited
    (``count`` is false for the later parts of a resumed download)."""
    message = get_message(session, user, message_id)
    attachment = next((a for a in message.attachments if a.id == attachment_id), None)
    row = next((r for r in message.recipients if r.user_id == user.id), None)
    if attachment is None or (message.sender_id != user.id and closed_reason(message, row)):
        raise AppError("not_found", _l("This attachment does not exist."), 404)
    check_not_removed(attachment)
    if count:
        if row is not None and message.sender_id != user.id:
            row.downloads += 1
        record(session, "message.download", actor=user, ip=ip, subject=message.id, attachment=attachment.id)
        session.commit()
    return message, attachment


def open_folder(session: Session, user: User, message_id: str, folder: str, *, ip: str = ""):
    """A folder of attachments for the sender or a recipient who may still read the message; audited."""
    message = get_message(session, user, message_id)
    view = view_message(message, user.id)
    if view.closed:
        raise AppError("not_found", _l("This folder does not exist."), 404)
    found = folder_files(view.attachments, folder)
    for att, _path in found.files:
        check_not_removed(att)
    row = next((r for r in message.recipients if r.user_id == user.id), None)
    if row is not None and message.sender_id != user.id:
        row.downloads += 1
    record(session, "message.download", actor=user, ip=ip, subject=message.id, folder_files=len(found.files))
    session.commit()
    return message, found


def check_not_removed(attachment: Attachment) -> None:
    if attachment.removed_at is not None:
        raise AppError("attachment_removed", _l("This file was deleted when the message expired."), 410)


def attachment_dek(message: Message, attachment: Attachment) -> bytes:
    if attachment.wrapped_dek is not None:
        return envelope.unwrap_dek(keyring(), f"upload:{attachment.id}",
                                   envelope.WrappedKey(attachment.kek_id, attachment.wrapped_dek))
    return content.message_dek(keyring(), message)


def attachment_chunks(message: Message, attachment: Attachment, start: int = 0, end: int | None = None):
    """The decrypted bytes [start, end) as a lazy iterator: keys are resolved now (while the app
    context is there), storage is touched only when the response streams."""
    return stream.decrypt_blob(blob_store(), attachment.blob_key, attachment_dek(message, attachment),
                               f"attachment:{attachment.id}", start, end)


def audit_trail(session: Session, user: User, message_id: str) -> list:
    """The audit events about the sender's own message, oldest first."""
    from zegel.audit.models import AuditEvent
    message = _own_message(session, user, message_id)
    return list(session.scalars(select(AuditEvent).where(AuditEvent.subject == message.id)
                                .order_by(AuditEvent.seq)))


def reply_subject(subject: str) -> str:
    return (subject if subject.lower().startswith(("re:", "antw:")) else f"Re: {subject}")[:200]


def reply_recipients(session: Session, user: User, message: Message) -> list[RecipientInput]:
    """Who a reply from the mailbox goes to: the author, or, for one's own message, the same recipients
    with the same verification (an agreed password has to be typed again)."""
    if message.sender_id == user.id:
        return [RecipientInput(r.email, r.kind, r.method, r.phone) for r in message.recipients]
    author = find_user_by_email(session, message.author_email)
    if author is not None:
        return [RecipientInput(author.email, "to", "account")]
    # An outside recipient answered: verify them as they were verified before in this conversation,
    # else as the sender's saved default says, else as the organisation says.
    key = message.author_email.lower()
    earlier = [r for m in message.conversation.messages for r in m.recipients if r.email_key == key]
    if earlier:
        return [RecipientInput(message.author_email, "to", earlier[-1].method, earlier[-1].phone)]
    default = recipient_defaults(session, user).get(key)
    if default:
        return [RecipientInput(message.author_email, "to", default["method"], default["phone"])]
    return [RecipientInput(message.author_email, "to", user.organisation.default_verification)]


# --- revoke -------------------------------------------------------------------------

def _own_message(session: Session, user: User, message_id: str) -> Message:
    message = get_message(session, user, message_id)
    if message.sender_id != user.id:
        raise AppError("forbidden", _l("Only the sender can do this."), 403)
    return message


def delete_message(session: Session, user: User, message_id: str, *, ip: str = "") -> str:
    """The sender deletes a message for everyone: content, recipients' links and the files' data.
    Returns the conversation id; the conversation goes too when nothing is left in it."""
    from zegel.delivery.models import PENDING, OutboxJob
    from zegel.storage import deletions
    message = _own_message(session, user, message_id)
    conversation = message.conversation
    keys = [a.blob_key for a in message.attachments if a.removed_at is None]
    deletions.schedule(session, keys)
    # Notifications not sent yet would point at a message that is gone.
    job_ids = [r.notify_job_id for r in message.recipients if r.notify_job_id]
    if job_ids:
        session.execute(delete(OutboxJob).where(OutboxJob.id.in_(job_ids), OutboxJob.status == PENDING))
    session.execute(update(Message).where(Message.reply_to_id == message.id).values(reply_to_id=None))
    record(session, "message.deleted", actor=user, ip=ip, subject=message.id, conversation=conversation.id,
           attachments=len(message.attachments))
    session.delete(message)
    session.flush()
    remaining = session.scalar(select(func.count()).select_from(Message)
                               .where(Message.conversation_id == conversation.id))
    if not remaining:
        session.delete(conversation)
    session.commit()
    deletions.run(session, only=keys)  # what storage refuses now, housekeeping retries
    return conversation.id


def remove_expired_attachments(session: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Delete the files of expired messages (the names stay, marked as removed); run by housekeeping."""
    from zegel.storage import deletions
    now = now or utcnow()
    expired = session.scalars(select(Attachment).join(Message).where(
        Message.expires_at <= now, Attachment.removed_at.is_(None)).limit(limit)).all()
    for att in expired:
        att.removed_at = now
        record(session, "attachment.removed", subject=att.message_id, attachment=att.id, reason="expired",
               organisation_id=att.message.conversation.organisation_id)
    deletions.schedule(session, [att.blob_key for att in expired])
    session.commit()
    deletions.run(session, only=[att.blob_key for att in expired])
    return len(expired)


def set_message_revoked(session: Session, user: User, message_id: str, revoked: bool, *, ip: str = "") -> Message:
    message = _own_message(session, user, message_id)
    message.revoked_at = utcnow() if revoked else None
    record(session, "message.revoked" if revoked else "message.restored", actor=user, ip=ip, subject=message.id)
    session.commit()
    return message


def set_recipient_revoked(session: Session, user: User, message_id: str, recipient_id: str, revoked: bool, *,
                          ip: str = "") -> Recipient:
    message = _own_message(session, user, message_id)
    recipient = next((r for r in message.recipients if r.id == recipient_id), None)
    if recipient is None:
        raise AppError("not_found", _l("This recipient is not on the message."), 404)
    recipient.revoked_at = utcnow() if revoked else None
    if not revoked:
        # Restoring also lifts a lock after too many failed checks: the sender vouches for the recipient.
        recipient.locked_at, recipient.verify_failures = None, 0
        recipient.code_hmac, recipient.code_attempts, recipient.code_sends = None, 0, 0
    record(session, "recipient.revoked" if revoked else "recipient.restored", actor=user, ip=ip,
           subject=message.id, recipient=recipient.email_key)
    session.commit()
    return recipient


def is_closed(message: Message, recipient: Recipient | None = None) -> bool:
    """Revoked or expired: recipients see only a notice."""
    return closed_reason(message, recipient) is not None


def closed_reason(message: Message, recipient: Recipient | None = None) -> str | None:
    """Why a recipient sees only a notice: "revoked", "expired", or None when the message is open."""
    if message.revoked_at is not None or (recipient is not None and recipient.revoked_at is not None):
        return "revoked"
    if message.expires_at is not None and message.expires_at <= utcnow():
        return "expired"
    return None


def delivery_failed(session: Session, recipient: Recipient) -> str | None:
    """The last error of a notification that could not be delivered, for the sender."""
    from zegel.delivery.models import FAILED, OutboxJob
    job = session.get(OutboxJob, recipient.notify_job_id) if recipient.notify_job_id else None
    return job.last_error if job is not None and job.status == FAILED else None

