"""Two-step web login as a user and an attacker see it: password, SMS code, mailbox."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.conftest import DEMO_PASSWORD, latest_code, outbox_items, web_login
from zegel.clock import utcnow

pytestmark = pytest.mark.usefixtures("anna")


def assert_logged_out(client):
    resp = client.get("/inbox")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_password_then_sms_code_opens_the_mailbox(client, worker):
    resp = client.post_form("/login", {"email": "Anna@Demo.test", "password": DEMO_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login/verify"
    assert_logged_out(client)  # the password alone is not enough
    page = client.get("/login/verify").get_data(as_text=True)
    assert "Verifieer" in page and "inlogcode" in page

    sms = outbox_items(client, "sms")
    assert sms == []  # nothing is sent from the request thread
    code = latest_code(client, worker, "+31612345671")
    sms = outbox_items(client, "sms")[-1]
    assert "Zegel-inlogcode" in sms["text"] and "10 minuten" in sms["text"]

    resp = client.post_form("/login/verify", {"code": code})
    assert resp.status_code == 302 and resp.headers["Location"] == "/inbox"
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Postvak IN" in inbox and "Anna de Vries" in inbox and "Je veilige postvak is leeg" in inbox


def test_without_remember_the_session_ends_with_the_browser(client, worker):
    resp = web_login(client, worker)
    cookies = resp.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("zegel_session="))
    assert "Expires" not in session_cookie and "Max-Age" not in session_cookie
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert not any(c.startswith("zegel_device=") for c in cookies)


def test_remember_me_keeps_a_new_browser_logged_in_until_revoked(client, new_client, worker):
    resp = web_login(client, worker, remember=True)
    device_cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("zegel_device="))
    assert "Max-Age=2592000" in device_cookie and "HttpOnly" in device_cookie
    token = device_cookie.split(";")[0].split("=", 1)[1]

    other = new_client()  # the browser was closed: only the 30-day cookie is left
    other.set_cookie("zegel_device", token)
    assert other.get("/inbox").status_code == 200

    devices = client.get("/account/devices").get_data(as_text=True)
    assert "Overal afmelden" in devices and "dit apparaat" in devices

    client.post_form("/account/sign-out-everywhere", {}, token_from="/account/devices")
    assert_logged_out(client)
    assert_logged_out(other)
    third = new_client()
    third.set_cookie("zegel_device", token)
    assert_logged_out(third)


def device_token_of(resp) -> str:
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("zegel_device="))
    return cookie.split(";")[0].split("=", 1)[1]


def test_one_device_can_be_signed_out_from_another(client, new_client, worker, session):
    from zegel.accounts.models import DeviceToken, WebSession
    laptop = new_client()
    laptop_token = device_token_of(web_login(laptop, worker, remember=True))
    web_login(client, worker, remember=True)
    laptop_device = session.query(DeviceToken).join(WebSession, WebSession.device_id == DeviceToken.id) \
        .order_by(DeviceToken.created_at).first()
    page = client.get("/account/devices").get_data(as_text=True)
    assert page.count("data-device-id=") == 2

    resp = client.post_form(f"/account/devices/{laptop_device.id}/revoke", {}, token_from="/account/devices")
    assert resp.status_code == 302
    assert client.get("/account/devices").get_data(as_text=True).count("data-device-id=") == 1
    assert_logged_out(laptop)
    again = new_client()
    again.set_cookie("zegel_device", laptop_token)
    assert_logged_out(again)


def test_another_users_device_cannot_be_revoked(client, worker, session, bram):
    from zegel.accounts.models import DeviceToken
    other = web_login(client.__class__(client.application.test_client()), worker, email="bram@demo.test",
                      remember=True, phone="+31612345672")
    assert other.status_code == 302
    bram_device = session.query(DeviceToken).one()
    web_login(client, worker)
    resp = client.post_form(f"/account/devices/{bram_device.id}/revoke", {}, token_from="/account/devices")
    assert resp.status_code == 404
    session.expire_all()
    assert session.get(DeviceToken, bram_device.id).revoked_at is None


@pytest.mark.parametrize("email,password", [
    ("anna@demo.test", "wrong-password-123"),
    ("nobody@demo.test", DEMO_PASSWORD),
    ("not an address", DEMO_PASSWORD),
])
def test_bad_credentials_give_one_generic_error_and_no_code(client, worker, email, password):
    resp = client.post_form("/login", {"email": email, "password": password})
    page = resp.get_data(as_text=True)
    assert resp.status_code in (400, 401)
    if "@" in email and " " not in email:
        assert resp.status_code == 401
        assert "Het e-mailadres of wachtwoord is niet juist." in page
    worker.run_once()
    assert outbox_items(client, "sms") == []
    assert client.get("/login/verify").status_code == 302
    assert_logged_out(client)


def test_five_wrong_codes_end_the_attempt(client, worker):
    client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
    code = latest_code(client, worker, "+31612345671")
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        resp = client.post_form("/login/verify", {"code": wrong})
        assert resp.status_code == 400
        assert f"Nog {left} pogingen over" in resp.get_data(as_text=True)
    resp = client.post_form("/login/verify", {"code": wrong})
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert "Te veel onjuiste codes" in client.get("/login").get_data(as_text=True)
    # The right code no longer works either.
    assert client.post_form("/login/verify", {"code": code}, token_from="/login").status_code == 302
    assert_logged_out(client)


def test_an_expired_code_is_refused(client, worker):
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
        code = latest_code(client, worker, "+31612345671")
        clock.shift(timedelta(minutes=10, seconds=1))
        resp = client.post_form("/login/verify", {"code": code}, token_from="/login/verify")
    assert resp.status_code == 400
    assert "Deze code is verlopen" in resp.get_data(as_text=True)
    assert_logged_out(client)


def test_a_used_code_cannot_be_replayed(client, new_client, worker):
    client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
    code = latest_code(client, worker, "+31612345671")
    before = client.get_cookie("zegel_session").value  # holds the pending challenge
    assert client.post_form("/login/verify", {"code": code}).status_code == 302
    assert client.get_cookie("zegel_session").value != before  # a new session, nothing carried over

    attacker = new_client()
    attacker.set_cookie("zegel_session", before)
    resp = attacker.post_form("/login/verify", {"code": code})
    assert resp.status_code == 303  # back to the login page
    assert "Deze inlogpoging is afgelopen" in attacker.get("/login").get_data(as_text=True)
    assert_logged_out(attacker)


def test_resend_gives_a_new_code_that_replaces_the_old(client, worker):
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
        first = latest_code(client, worker, "+31612345671")
        client.post_form("/login/resend", {}, token_from="/login/verify")
        assert "Wacht" in client.get("/login/verify").get_data(as_text=True)  # too soon
        clock.shift(timedelta(seconds=31))
        client.post_form("/login/resend", {}, token_from="/login/verify")
        second = latest_code(client, worker, "+31612345671")
        assert len(outbox_items(client, "sms")) == 2
        if first != second:
            assert client.post_form("/login/verify", {"code": first}).status_code == 400
        assert client.post_form("/login/verify", {"code": second}).status_code == 302


def test_resends_are_limited(client, worker):
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
        for _ in range(3):
            clock.shift(timedelta(seconds=31))
            client.post_form("/login/resend", {}, token_from="/login/verify")
        clock.shift(timedelta(seconds=31))
        resp = client.post_form("/login/resend", {}, token_from="/login/verify")
        assert resp.headers["Location"] == "/login"
        assert "geen codes meer" in client.get("/login").get_data(as_text=True)
        worker.run_once()
        assert len(outbox_items(client, "sms")) == 4


def test_forms_without_csrf_token_are_refused(client, worker):
    client.get("/login")
    resp = client.post("/login", data={"email": "anna@demo.test", "password": DEMO_PASSWORD})
    assert resp.status_code == 400
    assert "Dit formulier is verlopen of kwam niet van deze site" in resp.get_data(as_text=True)
    worker.run_once()
    assert outbox_items(client, "sms") == []

    web_login(client, worker)
    resp = client.post("/account/sign-out-everywhere")
    assert resp.status_code == 400
    assert client.get("/inbox").status_code == 200  # nothing happened


def test_rate_limit_on_one_account(client, worker):
    for _ in range(10):
        assert client.post_form("/login", {"email": "anna@demo.test", "password": "guess-guess-1"}).status_code == 401
    resp = client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
    assert resp.status_code == 429
    assert "Te veel pogingen" in resp.get_data(as_text=True)
    assert int(resp.headers["Retry-After"]) > 0
    worker.run_once()
    assert outbox_items(client, "sms") == []
    assert_logged_out(client)


def test_logout_ends_the_server_session(client, new_client, worker):
    web_login(client, worker)
    stolen = client.get_cookie("zegel_session").value
    resp = client.post_form("/logout", {}, token_from="/inbox")
    assert resp.status_code == 302
    assert_logged_out(client)
    replay = new_client()
    replay.set_cookie("zegel_session", stolen)
    assert_logged_out(replay)


def test_next_parameter_cannot_leave_the_site(client, worker):
    client.post_form("/login?next=https://evil.example/", {"email": "anna@demo.test", "password": DEMO_PASSWORD},
                     token_from="/login")
    code = latest_code(client, worker, "+31612345671")
    resp = client.post_form("/login/verify", {"code": code})
    assert resp.headers["Location"] == "/inbox"


def test_sms_sends_per_account_are_capped(client, worker):
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(10):
            clock.shift(timedelta(minutes=2))  # stay under the per-15-minute request limit
            assert client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD}).status_code == 302
        clock.shift(timedelta(minutes=2))
        resp = client.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD})
    assert resp.status_code == 429
    assert "te veel inlogcodes" in resp.get_data(as_text=True)


def test_logout_on_a_remembered_browser_forgets_it(client, new_client, worker):
    token = device_token_of(web_login(client, worker, remember=True))
    resp = client.post_form("/logout", {}, token_from="/inbox")
    assert any(c.startswith("zegel_device=;") for c in resp.headers.getlist("Set-Cookie"))
    assert "Je bent uitgelogd." in client.get("/login").get_data(as_text=True)
    assert_logged_out(client)
    copy = new_client()
    copy.set_cookie("zegel_device", token)
    assert_logged_out(copy)
