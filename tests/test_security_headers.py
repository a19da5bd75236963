"""Headers and pages an attacker probes first."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/does-not-exist"])
def test_every_answer_carries_the_security_headers(client, path):
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in resp.headers  # only behind https


def test_pages_have_no_inline_scripts(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and "onclick" not in html and "onchange" not in html


def test_unknown_pages_are_a_clear_404_not_a_500(client):
    resp = client.get("/nothing/here")
    assert resp.status_code == 404 and "Deze pagina bestaat niet (meer)." in resp.get_data(as_text=True)
    resp = client.get("/api/v1/nothing")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_oversized_bodies_are_refused(client):
    resp = client.post("/api/v1/auth/login", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"


def test_dev_outbox_is_absent_unless_switched_on(make_config, keyring_file):
    from zegel.app import create_app
    from zegel.crypto.keyring import Keyring
    app = create_app(make_config(ZEGEL_DEV_OUTBOX="0", ZEGEL_SMS_PROVIDER="cm", ZEGEL_SMS_CM_PRODUCT_TOKEN="t",
                                ZEGEL_SMTP_HOST="127.0.0.1"),
                     Keyring.load(keyring_file))
    client = app.test_client()
    assert client.get("/dev/outbox.json").status_code == 404
    assert client.get("/dev/outbox").status_code == 404
    assert "dev-outbox" not in client.get("/login").get_data(as_text=True)


def test_dev_outbox_lists_oldest_first(client, worker, anna):
    from tests.conftest import DEMO_PASSWORD
    client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
    worker.run_once()
    items = client.get("/dev/outbox.json").get_json()["items"]
    assert len(items) == 1
    assert set(items[0]) == {"id", "kind", "to", "subject", "text", "html", "created_at"}
    assert items[0]["kind"] == "sms" and items[0]["to"] == "+31612345671"
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "+31612345671" in page and "Zegel-inlogcode" in page
