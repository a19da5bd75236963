"""Key rotation over the stored messages: re-wrap data keys, never re-encrypt content."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zegel.audit.service import record
from zegel.crypto import envelope
from zegel.crypto.keyring import Keyring
from zegel.messages.models import Message

BATCH = 500


def usage(session: Session) -> dict[int, int]:
    """KEK id → number of message keys wrapped under it."""
    return dict(session.execute(select(Message.kek_id, func.count()).group_by(Message.kek_id)).all())


def rewrap_all(session: Session, keyring: Keyring) -> int:
    """Re-wrap every message key that is not under the active KEK; returns how many."""
    done = 0
    while True:
        rows = session.execute(select(Message.id, Message.kek_id, Message.wrapped_dek).where(
            Message.kek_id != keyring.active_kek_id).limit(BATCH)).all()
        if not rows:
            break
        for message_id, kek_id, wrapped in rows:
            owner = f"message:{message_id}"
            new = envelope.rewrap_dek(keyring, owner, envelope.WrappedKey(kek_id, wrapped))
            session.execute(update(Message).where(Message.id == message_id, Message.kek_id == kek_id)
                            .values(kek_id=new.kek_id, wrapped_dek=new.wrapped))
        done += len(rows)
        session.commit()
    record(session, "keys.rewrapped", subject=f"kek:{keyring.active_kek_id}", count=done)
    session.commit()
    return done
