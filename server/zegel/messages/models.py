"""Conversations, messages, recipients, attachments and remembered verification defaults.

Subject, body and attachment names are stored only encrypted (``*_ct``)
under the message's data key, which is stored only wrapped.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zegel.clock import utcnow
from zegel.db import Base
from zegel.ids import new_id

METHODS = ("none", "sms", "password", "account")
KINDS = ("to", "cc", "bcc")


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.created_at")


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    # Written by an account of this installation, or (a reply) by an outside recipient.
    sender_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    author_email: Mapped[str] = mapped_column(String(320))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    reply_to_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"), default=None)
    kek_id: Mapped[int] = mapped_column(Integer)
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary)
    subject_ct: Mapped[bytes] = mapped_column(LargeBinary)
    body_ct: Mapped[bytes] = mapped_column(LargeBinary)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the one link for all recipients
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    # Deleting a message deletes its recipients and attachments (the database cascades too).
    recipients: Mapped[list[Recipient]] = relationship(back_populates="message", order_by="Recipient.position",
                                                         cascade="all, delete-orphan", passive_deletes=True)
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message", order_by="Attachment.position",
                                                           cascade="all, delete-orphan", passive_deletes=True)


class Recipient(Base):
    __tablename__ = "recipients"
    __table_args__ = (UniqueConstraint("message_id", "email_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(3))  # to | cc | bcc
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    method: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    notify_job_id: Mapped[str | None] = mapped_column(String(36), default=None)
    notified_at: Mapped[datetime | None] = mapped_column(default=None)
    first_read_at: Mapped[datetime | None] = mapped_column(default=None)
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    verify_failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    # The pending SMS code, like the login codes: HMAC only.
    code_hmac: Mapped[str | None] = mapped_column(String(64), default=None)
    code_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    code_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    code_sends: Mapped[int] = mapped_column(Integer, default=0)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)

    message: Mapped[Message] = relationship(back_populates="recipients")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name_ct: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    size: Mapped[int] = mapped_column(BigInteger)
    blob_key: Mapped[str] = mapped_column(String(200), unique=True)
    # A file that arrived as a resumable upload keeps the data key it was encrypted with
    # (wrapped, as "upload:<id>"); a form attachment uses the message's key.
    kek_id: Mapped[int | None] = mapped_column(Integer, default=None)
    wrapped_dek: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the file's data was deleted because the message expired; the name stays for the record.
    removed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    message: Mapped[Message] = relationship(back_populates="attachments")


class RecipientDefault(Base):
    """The sender's remembered verification per recipient (the "Standaard" column)."""

    __tablename__ = "recipient_defaults"
    __table_args__ = (UniqueConstraint("user_id", "email_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email_key: Mapped[str] = mapped_column(String(320))
    method: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortalSession(Base):
    """A verified recipient's browser: lasts a working day, stored only hashed."""

    __tablename__ = "portal_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recipient_id: Mapped[str] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
