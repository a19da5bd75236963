"""Deleting blobs after the rows that owned them are gone (see storage.models.BlobDeletion)."""
from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zegel.extensions import blob_store
from zegel.storage.base import StorageUnavailable
from zegel.storage.models import BlobDeletion

log = logging.getLogger(__name__)


def schedule(session: Session, blob_keys: list[str]) -> None:
    """Queue blobs for deletion; part of the caller's transaction."""
    for key in blob_keys:
        if session.get(BlobDeletion, key) is None:
            session.add(BlobDeletion(blob_key=key))


def run(session: Session, only: list[str] | None = None, limit: int = 1000) -> int:
    """Delete queued blobs (``only`` these, or the oldest ``limit``); what storage refuses stays queued."""
    query = select(BlobDeletion.blob_key).order_by(BlobDeletion.created_at).limit(limit)
    if only is not None:
        query = query.where(BlobDeletion.blob_key.in_(only))
    store, done = blob_store(), []
    for key in session.scalars(query).all():
        try:
            store.delete(key)
        except (StorageUnavailable, OSError) as exc:
            log.warning("blob %s not deleted yet: %s", key, exc)
            continue
        done.append(key)
    if done:
        session.execute(delete(BlobDeletion).where(BlobDeletion.blob_key.in_(done)))
        session.commit()
    return len(done)
