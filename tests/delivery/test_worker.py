"""The outbox worker as a user and an operator see it: an SMS leaves only
after its transaction commits, exactly once, retried while the gateway is
down, given up when it is refused, and never kept in the clear."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select, text

from tests.conftest import outbox_items
from zegel.app import create_app
from zegel.clock import utcnow
from zegel.crypto.keyring import Keyring
from zegel.delivery import outbox
from zegel.delivery.models import OutboxJob
from zegel.delivery.worker import Worker
from zegel.extensions import db

CODE_TEXT = "Je Zegel-inlogcode is 493817"


def enqueue_sms(app, to="+31612345671", text=CODE_TEXT, reference="t", commit=True) -> str:
    with app.app_context():
        job = outbox.enqueue(db.session, "sms", {"to": to, "text": text}, reference=reference)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        return job.id


def job_row(session, job_id) -> OutboxJob:
    session.expire_all()
    return session.get(OutboxJob, job_id)


@pytest.fixture
def make_cm_app(make_config, keyring_file, cm_server):
    """Apps that send SMS through the local CM.com stand-in; each its own engine, like a separate process."""
    apps = []

    def make():
        config = make_config(ZEGEL_SMS_PROVIDER="cm", ZEGEL_SMS_CM_PRODUCT_TOKEN="tok",
                             ZEGEL_SMS_CM_URL=cm_server.url, ZEGEL_DEV_OUTBOX="0",
                             ZEGEL_SMTP_HOST="127.0.0.1")
        apps.append(create_app(config, Keyring.load(keyring_file)))
        return apps[-1]

    yield make
    from zegel.db import Database
    for app in apps:
        Database.engine_for(app).dispose()


@pytest.fixture
def cm_app(make_cm_app):
    return make_cm_app()


@pytest.fixture
def cm_worker(cm_app):
    return Worker(cm_app)


@pytest.mark.database
def test_rolled_back_transaction_sends_nothing(app, worker, client, session):
    """A job added in a transaction that rolls back never exists, so no SMS goes out."""
    enqueue_sms(app, commit=False)
    assert session.scalar(select(func.count()).select_from(OutboxJob)) == 0
    assert worker.run_once() == 0
    assert outbox_items(client, "sms") == []


@pytest.mark.database
def test_committed_sms_is_delivered_and_its_text_wiped(app, worker, client, session):
    """After delivery the SMS is in the dev outbox and the job keeps no copy of it."""
    job_id = enqueue_sms(app, reference="login:1")
    assert outbox_items(client, "sms") == []  # nothing is sent before the worker runs

    assert worker.run_once() == 1
    [sms] = outbox_items(client, "sms")
    assert sms["to"] == "+31612345671" and sms["text"] == CODE_TEXT
    job = job_row(session, job_id)
    assert (job.status, job.attempts, job.payload, job.last_error) == ("done", 1, None, "")
    assert job.done_at is not None and job.locked_until is None
    assert session.scalar(text("SELECT payload FROM outbox_jobs WHERE id = :id"), {"id": job_id}) is None

    assert worker.run_once() == 0  # delivered once, not again
    assert len(outbox_items(client, "sms")) == 1


@pytest.mark.database
def test_queued_payload_is_sealed_at_rest(app, session):
    """Someone reading the database (or a backup) sees neither the code nor the number."""
    job_id = enqueue_sms(app)
    raw = bytes(session.scalar(text("SELECT payload FROM outbox_jobs WHERE id = :id"), {"id": job_id}))
    assert len(raw) > len(CODE_TEXT)
    for plaintext in (CODE_TEXT, "493817", "+31612345671", "612345671", '"text"'):
        assert plaintext.encode() not in raw
        assert plaintext.encode("utf-16-le") not in raw


@pytest.mark.database
def test_gateway_outage_is_retried_after_backoff(cm_app, cm_worker, cm_server, session):
    """A 500 leaves the SMS queued with the reason; once the backoff has passed it is sent."""
    cm_server.then(500, {"details": "Internal error", "errorCode": 999})
    job_id = enqueue_sms(cm_app, reference="login:retry")

    assert cm_worker.run_once() == 1
    job = job_row(session, job_id)
    assert (job.status, job.attempts) == ("pending", 1)
    assert "500" in job.last_error
    assert job.payload is not None  # still needed for the retry
    wait = job.next_attempt_at - utcnow()
    assert timedelta(seconds=5) < wait <= timedelta(seconds=12)

    assert cm_worker.run_once() == 0  # not due yet: the gateway gets a rest
    assert len(cm_server.received) == 1

    with time_machine.travel(job.next_attempt_at + timedelta(seconds=1)):
        assert cm_worker.run_once() == 1
    job = job_row(session, job_id)
    assert (job.status, job.attempts, job.payload, job.last_error) == ("done", 2, None, "")
    first, second = cm_server.received
    assert first.body == second.body  # the same SMS, same reference
    assert second.msg["reference"] == "login:retry"


@pytest.mark.database
def test_permanent_refusal_fails_at_once_without_retry(cm_app, cm_worker, cm_server, session):
    """A 400 from CM.com fails the job on the first try and it is never sent again."""
    cm_server.always(400, {"details": "No account found for the given authentication", "errorCode": 101})
    job_id = enqueue_sms(cm_app)

    assert cm_worker.run_once() == 1
    job = job_row(session, job_id)
    assert (job.status, job.attempts, job.payload) == ("failed", 1, None)
    assert "No account found" in job.last_error and job.done_at is not None

    with time_machine.travel(utcnow() + timedelta(days=2)):
        assert cm_worker.run_once() == 0
    assert len(cm_server.received) == 1


@pytest.mark.database
def test_gives_up_after_max_attempts_with_growing_waits(cm_app, cm_worker, cm_server, session):
    """While CM.com keeps failing the waits double; after max_attempts the job fails and is wiped."""
    cm_server.always(500, {"details": "Internal error", "errorCode": 999})
    job_id = enqueue_sms(cm_app)
    max_attempts = job_row(session, job_id).max_attempts
    assert max_attempts > 1

    waits = []
    with time_machine.travel(utcnow(), tick=False) as traveller:
        for attempt in range(1, max_attempts + 1):
            assert cm_worker.run_once() == 1
            job = job_row(session, job_id)
            assert job.attempts == attempt
            if attempt < max_attempts:
                assert job.status == "pending"
                waits.append(job.next_attempt_at - utcnow())
                traveller.move_to(job.next_attempt_at)
        assert (job.status, job.payload) == ("failed", None)
        assert "500" in job.last_error

        traveller.shift(timedelta(days=2))
        assert cm_worker.run_once() == 0
    assert len(cm_server.received) == max_attempts
    assert all(later > earlier for earlier, later in zip(waits, waits[1:], strict=False))


@pytest.mark.database
def test_two_workers_deliver_each_job_exactly_once(make_cm_app, cm_server, session):
    """Two workers (separate engines, like two `zegel worker` processes) racing for
    the same queue send every SMS once: no duplicates, none left behind."""
    first, second = make_cm_app(), make_cm_app()
    workers = [Worker(first), Worker(second)]
    for w in workers:
        assert w.run_once() == 0  # opens each pool's connection, so the claims below really overlap
    n = 20
    job_ids = [enqueue_sms(first, to=f"+3161234{i:04d}", text=f"code {i}", reference=f"race:{i}")
               for i in range(n)]
    start = threading.Barrier(len(workers))
    tried, errors = [], []

    def run(w):
        try:
            start.wait(5)
            tried.append(w.run_once())
        except Exception as exc:  # surfaced below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(tried) == n
    assert cm_server.per_reference() == {f"race:{i}": 1 for i in range(n)}
    session.expire_all()
    jobs = session.scalars(select(OutboxJob).where(OutboxJob.id.in_(job_ids))).all()
    assert {(j.status, j.attempts) for j in jobs} == {("done", 1)}
