"""The audit log: what is recorded, and tampering found by `zegel audit verify`."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select, text

from tests.conftest import DEMO_PASSWORD, web_login
from zegel.audit.models import AuditEvent
from zegel.audit.service import record, verify_chain

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("anna")]


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_logins_failures_and_devices_are_recorded(client, worker, session):
    client.post_form("/login", {"email": "anna@demo.test", "password": "wrong-wrong-wrong"})
    client.post_form("/login", {"email": "ghost@demo.test", "password": "wrong-wrong-wrong"})
    client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
    client.post_form("/login/verify", {"code": "000000"})
    web_login(client.__class__(client.application.test_client()), worker, remember=True)
    seen = actions(session)
    for expected in ("user.created", "login.failed", "login.password_ok", "login.code_failed", "login.success",
                     "device.issued"):
        assert expected in seen
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert {(e.subject, e.details["reason"]) for e in failed} == {("anna@demo.test", "password"),
                                                                   ("ghost@demo.test", "unknown_user")}
    assert all(DEMO_PASSWORD not in str(e.details) for e in session.scalars(select(AuditEvent)))
    assert verify_chain(session).ok


def _cli_verify(database_url: str, keyring_file) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZEGEL_DATABASE_URL": database_url, "ZEGEL_KEYRING_PATH": str(keyring_file),
           "ZEGEL_DEV_OUTBOX": "1"}
    return subprocess.run([sys.executable, "-m", "zegel.cli", "audit", "verify"], env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize("tamper,reason", [
    ("UPDATE audit_events SET subject = 'someone@else.nl' WHERE seq = 2", "content does not match"),
    ("UPDATE audit_events SET ip = '10.0.0.1' WHERE seq = 1", "content does not match"),
    ("DELETE FROM audit_events WHERE seq = 2", "row 2 is missing"),
    ("DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)", "removed"),
])
def test_tampering_is_detected(client, session, database_url, keyring_file, tamper, reason):
    client.post_form("/login", {"email": "anna@demo.test", "password": "wrong-wrong-wrong"})
    client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
    intact = _cli_verify(database_url, keyring_file)
    assert intact.returncode == 0 and "audit log intact: 4 events" in intact.stdout
    session.execute(text(tamper))
    broken = _cli_verify(database_url, keyring_file)
    assert broken.returncode == 1
    assert "BROKEN" in broken.stderr and reason in broken.stderr


def test_concurrent_appends_keep_one_chain(app, session):
    from zegel.extensions import db

    def append(n):
        with app.app_context():
            for i in range(10):
                record(db.session, "test.concurrent", subject=f"{n}-{i}")
                db.session.commit()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify_chain(session)
    assert report.ok, report.reason
    assert report.checked == 42  # the fixtures' two events and 40 appends
