"""An organisation's DLP rules and its own word lists (the shipped lists live in wordlists/*.txt)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zegel.clock import utcnow
from zegel.db import Base
from zegel.ids import new_id


class DlpRule(Base):
    __tablename__ = "dlp_rules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    # A detector ("bsn", "iban", …), "list:<name>" for a word list, or "regex" with ``pattern``.
    detector: Mapped[str] = mapped_column(String(120))
    pattern: Mapped[str | None] = mapped_column(Text, default=None)
    min_confidence: Mapped[str] = mapped_column(String(10), default="low")
    # Comma-separated: subject, body, attachment_name, attachment.
    locations: Mapped[str] = mapped_column(String(100), default="subject,body,attachment_name,attachment")
    level: Mapped[str] = mapped_column(String(10))  # info | warning | block
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DlpWordList(Base):
    __tablename__ = "dlp_word_lists"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    terms: Mapped[str] = mapped_column(Text, default="")  # one per line
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
