"""Put jobs in the outbox inside the caller's transaction; wake the local worker after commit."""
from __future__ import annotations

import json
import threading

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from zegel.crypto.sealed import open_sealed, seal
from zegel.delivery.models import OutboxJob
from zegel.ids import new_id

# Set after a commit that added jobs; the in-process worker waits on it.
WAKE = threading.Event()


def _aad(job_id: str, kind: str) -> bytes:
    return f"zegel/outbox/{job_id}/{kind}".encode("ascii")


def outbox_key(app=None) -> bytes:
    return (app or current_app).extensions["zegel.keyring"].derive("outbox")


def enqueue(session: Session, kind: str, payload: dict, *, reference: str = "", key: bytes | None = None) -> OutboxJob:
    """Add a job; it is delivered only if the caller's transaction commits."""
    job_id = new_id()
    sealed = seal(key or outbox_key(), json.dumps(payload).encode("utf-8"), _aad(job_id, kind))
    job = OutboxJob(id=job_id, kind=kind, payload=sealed, reference=reference[:100])
    session.add(job)
    session.info["zegel_outbox_added"] = True
    return job


def read_payload(job: OutboxJob, key: bytes) -> dict:
    return json.loads(open_sealed(key, job.payload, _aad(job.id, job.kind)))


@event.listens_for(Session, "after_commit")
def _wake_worker(session: Session) -> None:
    if session.info.pop("zegel_outbox_added", False):
        WAKE.set()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("zegel_outbox_added", None)
