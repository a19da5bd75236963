"""Key rotation over everything stored: re-wrap data keys, never re-encrypt content.

Data keys live on messages (``message:<id>``), and on uploads and the
attachments made from them (``upload:<id>``)."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zegel.audit.service import record
from zegel.crypto import envelope
from zegel.crypto.keyring import Keyring
from zegel.messages.models import Attachment, Message
from zegel.uploads.models import Upload

BATCH = 500
# (table, owner prefix) of every wrapped data key
WRAPPED = ((Message, "message"), (Attachment, "upload"), (Upload, "upload"))


def usage(session: Session) -> dict[int, int]:
    """KEK id → number of data keys wrapped under it."""
    counts: Counter = Counter()
    for model, _prefix in WRAPPED:
        counts.update(dict(session.execute(select(model.kek_id, func.count()).where(model.kek_id.is_not(None))
                                           .group_by(model.kek_id)).all()))
    return dict(counts)


def rewrap_all(session: Session, keyring: Keyring) -> int:
    """Re-wrap every data key that is not under the active KEK; returns how many."""
    done = 0
    for model, prefix in WRAPPED:
        while True:
            rows = session.execute(select(model.id, model.kek_id, model.wrapped_dek).where(
                model.kek_id.is_not(None), model.kek_id != keyring.active_kek_id).limit(BATCH)).all()
            if not rows:
                break
            for row_id, kek_id, wrapped in rows:
                new = envelope.rewrap_dek(keyring, f"{prefix}:{row_id}", envelope.WrappedKey(kek_id, wrapped))
                session.execute(update(model).where(model.id == row_id, model.kek_id == kek_id)
                                .values(kek_id=new.kek_id, wrapped_dek=new.wrapped))
            done += len(rows)
            session.commit()
    record(session, "keys.rewrapped", subject=f"kek:{keyring.active_kek_id}", count=done)
    session.commit()
    return done
