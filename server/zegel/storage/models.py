"""Blobs whose owner is gone: deleted in the same transaction that removes the owner, so a storage
outage at that moment leaves a queue entry to retry instead of a file nobody knows about."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from zegel.clock import utcnow
from zegel.db import Base


class BlobDeletion(Base):
    __tablename__ = "blob_deletions"

    blob_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
