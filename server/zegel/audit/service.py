"""Record audit events and verify the chain.

``record`` adds to the caller's transaction, so an event is stored exactly
when the change it describes is.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zegel.audit.models import GENESIS, AuditEvent, AuditHead  # head row is made by the migration
from zegel.clock import utcnow


def _digest(prev_hash: str, seq: int, created_at: str, action: str, organisation_id, actor_id,
            subject: str, ip: str, details: dict) -> str:
    body = json.dumps(
        [prev_hash, seq, created_at, action, organisation_id, actor_id, subject, ip, details],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _event_digest(event: AuditEvent) -> str:
    return _digest(event.prev_hash, event.seq, event.created_at.isoformat(), event.action,
                   event.organisation_id, event.actor_id, event.subject, event.ip, event.details)


def record(session: Session, action: str, *, actor=None, organisation_id: str | None = None,
           subject: str = "", ip: str = "", **details) -> AuditEvent:
    """Append one event in the caller's transaction."""
    # The UPDATE comes first: it locks the head row (PostgreSQL) or the database
    # (SQLite) until commit, so concurrent appends queue up instead of forking.
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    head = session.execute(select(AuditHead).where(AuditHead.id == 1)
                           .execution_options(populate_existing=True)).scalar_one()
    now = utcnow().replace(microsecond=0)
    event = AuditEvent(
        seq=head.seq, created_at=now, action=action,
        organisation_id=organisation_id or getattr(actor, "organisation_id", None),
        actor_id=getattr(actor, "id", None), subject=subject[:320], ip=ip[:64],
        details=details, prev_hash=head.hash,
    )
    event.hash = _event_digest(event)
    head.hash = event.hash
    session.add(event)
    return event


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the log from the start; report the first row that does not fit."""
    prev, expected_seq, count = GENESIS, 1, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        if event.seq != expected_seq:
            return ChainReport(count, expected_seq, f"row {expected_seq} is missing")
        if event.prev_hash != prev:
            return ChainReport(count, event.seq, "previous-hash link does not match")
        if _event_digest(event) != event.hash:
            return ChainReport(count, event.seq, "row content does not match its hash")
        prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != count or head.hash != prev):
        return ChainReport(count, count + 1, "rows at the end of the log were removed")
    return ChainReport(count)
