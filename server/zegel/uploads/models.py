"""An upload in progress or complete, waiting to be attached to a message."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from zegel.clock import utcnow
from zegel.db import Base
from zegel.ids import new_id


class Upload(Base):
    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    length: Mapped[int] = mapped_column(BigInteger)
    # Plaintext bytes safely on disk: always whole chunks (or everything), so it is a resumable offset.
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    kek_id: Mapped[int] = mapped_column(Integer)
    wrapped_dek: Mapped[bytes] = mapped_column(LargeBinary)
    header: Mapped[bytes] = mapped_column(LargeBinary)  # the ZGS1 stream header
    metadata_ct: Mapped[bytes] = mapped_column(LargeBinary)  # tus Upload-Metadata, sealed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
