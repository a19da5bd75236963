"""The delivery worker: claims due outbox jobs, delivers them, retries with backoff.

Claims are safe with many workers: PostgreSQL skips rows another worker has
locked (FOR UPDATE SKIP LOCKED), SQLite serialises writers, and a lease
(``locked_until``) returns a job to the queue if its worker dies.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from datetime import timedelta

from sqlalchemy import or_, select, update

from zegel.clock import utcnow
from zegel.delivery import outbox
from zegel.delivery.errors import DeliveryError
from zegel.delivery.mail import mailer_from_config
from zegel.delivery.models import DONE, FAILED, PENDING, OutboxJob
from zegel.sms.gateway import gateway_from_config

log = logging.getLogger("zegel.worker")
LEASE = timedelta(minutes=2)
HOUSEKEEPING_SECONDS = 3600
BATCH = 20


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at an hour, with jitter so retries spread out."""
    base = min(10 * 2 ** (attempts - 1), 3600)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def after_delivery(session, job: OutboxJob, error: DeliveryError | None) -> None:
    """Tell the domain that caused the job how it went (same transaction as the job's status)."""
    kind, _, ref = job.reference.partition(":")
    if kind == "notify":
        from zegel.messages.notifications import notification_result
        notification_result(session, ref, delivered=error is None,
                            final=error is None or error.permanent or job.attempts >= job.max_attempts)


class Worker:
    def __init__(self, app):
        self.app = app
        self.sessionmaker = app.extensions["zegel.db"][1]
        self.key = outbox.outbox_key(app)
        self.handlers = {"sms": self._send_sms, "email": self._send_email}
        self.sms = gateway_from_config(app.config["ZEGEL"], self.sessionmaker)
        self.mail = mailer_from_config(app.config["ZEGEL"], self.sessionmaker)

    def _send_sms(self, payload: dict, reference: str) -> None:
        self.sms.send(payload["to"], payload["text"], reference)

    def _send_email(self, payload: dict, reference: str) -> None:
        self.mail.send(payload)

    def claim(self) -> list[OutboxJob]:
        now = utcnow()
        with self.sessionmaker() as session:
            jobs = session.scalars(
                select(OutboxJob).where(
                    OutboxJob.status == PENDING, OutboxJob.next_attempt_at <= now,
                    or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < now),
                ).order_by(OutboxJob.next_attempt_at).limit(BATCH).with_for_update(skip_locked=True)
            ).all()
            for job in jobs:
                job.locked_until = now + LEASE
                job.attempts += 1
            session.commit()
            return jobs

    def deliver(self, job: OutboxJob) -> None:
        error: DeliveryError | None = None
        try:
            handler = self.handlers.get(job.kind)
            if handler is None:
                raise DeliveryError(f"no handler for job kind {job.kind!r}", permanent=True)
            handler(outbox.read_payload(job, self.key), job.reference)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug or an unexpected library error: retry, but log it
            log.exception("outbox job %s failed unexpectedly", job.id)
            error = DeliveryError(f"{exc.__class__.__name__}: {exc}", permanent=False)
        now = utcnow()
        values: dict = {"locked_until": None}
        if error is None:
            # The payload (an SMS code, an e-mail) is wiped once it has been handed over.
            values.update(status=DONE, done_at=now, payload=None, last_error="")
        elif error.permanent or job.attempts >= job.max_attempts:
            values.update(status=FAILED, done_at=now, payload=None, last_error=str(error)[:1000])
            log.warning("outbox job %s (%s) failed for good: %s", job.id, job.reference, error)
        else:
            values.update(next_attempt_at=now + backoff(job.attempts), last_error=str(error)[:1000])
            log.info("outbox job %s attempt %d failed, will retry: %s", job.id, job.attempts, error)
        with self.sessionmaker() as session:
            session.execute(update(OutboxJob).where(OutboxJob.id == job.id).values(**values))
            after_delivery(session, job, error)
            session.commit()

    def run_once(self) -> int:
        """Deliver every job that is due now; returns how many were tried."""
        total = 0
        while jobs := self.claim():
            for job in jobs:
                self.deliver(job)
            total += len(jobs)
        return total

    def housekeeping(self) -> None:
        """Hourly: what `zegel cleanup` does."""
        from zegel.housekeeping import clean_up
        with self.app.app_context():
            from zegel.extensions import db
            done = clean_up(db.session)
        if any(done.values()):
            log.info("housekeeping: %s", done)

    def run_forever(self, stop: threading.Event, poll_seconds: float) -> None:
        log.info("delivery worker started")
        next_housekeeping = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_housekeeping:
                next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
                try:
                    self.housekeeping()
                except Exception:
                    log.exception("housekeeping failed")
            # Cleared before the run, so a job committed during it wakes the next wait at once.
            outbox.WAKE.clear()
            try:
                self.run_once()
            except Exception:  # the database may be briefly away; keep the loop alive
                log.exception("delivery worker loop error")
                stop.wait(5)
            outbox.WAKE.wait(poll_seconds)


def start_thread(app) -> threading.Event:
    """Run a worker inside this process (the embedded default of `zegel serve`)."""
    stop = threading.Event()
    worker = Worker(app)
    thread = threading.Thread(target=worker.run_forever, args=(stop, app.config["ZEGEL"].worker_poll_seconds),
                              name="zegel-worker", daemon=True)
    thread.start()
    return stop
