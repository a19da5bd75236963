"""The add-in's JSON login: bearer tokens, rotation, logout, errors; all checked against the OpenAPI document."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from openapi_spec_validator import validate

from tests.api.openapi_check import documented_operations, served_operations
from tests.conftest import DEMO_PASSWORD, latest_code, outbox_items
from zegel.clock import utcnow

pytestmark = pytest.mark.usefixtures("anna")


def call(client, api, method, path, body=None, token=None, expect=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = client.open("/api/v1" + path, method=method, json=body, headers=headers)
    api.check(method, path, resp)
    if expect is not None:
        assert resp.status_code == expect, resp.get_data(as_text=True)
    return resp


def api_login(client, api, worker, remember=None):
    body = {"email": "anna@demo.test", "password": DEMO_PASSWORD}
    challenge = call(client, api, "POST", "/auth/login", body, expect=200).get_json()
    assert challenge["channel"] == "sms"
    code = latest_code(client, worker, "+31612345671")
    verify = {"challenge_id": challenge["challenge_id"], "code": code}
    if remember is not None:
        verify["remember"] = remember
    return call(client, api, "POST", "/auth/verify", verify, expect=200).get_json()


def test_the_document_is_valid_and_covers_every_endpoint(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert documented_operations(spec) == served_operations(app)
    assert spec["servers"] == [{"url": "http://127.0.0.1:5000/api/v1"}]


def test_login_verify_me_refresh_logout(client, api, worker):
    tokens = api_login(client, api, worker)
    assert tokens["token_type"] == "Bearer" and 3595 <= tokens["expires_in"] <= 3600
    assert 12 * 3600 - 5 <= tokens["refresh_expires_in"] <= 12 * 3600

    me = call(client, api, "GET", "/me", token=tokens["access_token"], expect=200).get_json()
    assert me["email"] == "anna@demo.test" and me["organisation"]["name"] == "Demo"
    assert [a["kind"] for a in me["accounts"]] == ["personal"]

    rotated = call(client, api, "POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]},
                   expect=200).get_json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    # The old access token ended with the rotation; the new one works.
    call(client, api, "GET", "/me", token=tokens["access_token"], expect=401)
    call(client, api, "GET", "/me", token=rotated["access_token"], expect=200)

    call(client, api, "POST", "/auth/logout", token=rotated["access_token"], expect=204)
    call(client, api, "GET", "/me", token=rotated["access_token"], expect=401)
    call(client, api, "POST", "/auth/refresh", {"refresh_token": rotated["refresh_token"]}, expect=401)


def test_a_replayed_refresh_token_ends_the_whole_login(client, api, worker):
    with time_machine.travel(utcnow(), tick=False) as clock:
        tokens = api_login(client, api, worker)
        rotated = call(client, api, "POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]},
                       expect=200).get_json()
        clock.shift(timedelta(minutes=5))
        _replay_and_check(client, api, tokens, rotated)


def _replay_and_check(client, api, tokens, rotated):
    # Someone copied the first refresh token and uses it now.
    resp = call(client, api, "POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]}, expect=401)
    assert resp.get_json()["error"]["code"] == "invalid_token"
    # The legitimate holder's tokens are ended too: the thief gains nothing by racing.
    call(client, api, "GET", "/me", token=rotated["access_token"], expect=401)
    call(client, api, "POST", "/auth/refresh", {"refresh_token": rotated["refresh_token"]}, expect=401)


def test_remember_keeps_the_login_for_30_days_and_no_longer(client, api, worker):
    with time_machine.travel(utcnow(), tick=False) as clock:
        tokens = api_login(client, api, worker, remember=True)
        assert tokens["refresh_expires_in"] == 30 * 24 * 3600
        for _ in range(29):
            clock.shift(timedelta(days=1))
            tokens = call(client, api, "POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]},
                          expect=200).get_json()
        assert tokens["refresh_expires_in"] == 24 * 3600  # rotation does not extend the login
        clock.shift(timedelta(days=1, seconds=1))
        call(client, api, "POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]}, expect=401)


def test_access_tokens_expire_after_an_hour(client, api, worker):
    with time_machine.travel(utcnow(), tick=False) as clock:
        tokens = api_login(client, api, worker)
        clock.shift(timedelta(minutes=59))
        call(client, api, "GET", "/me", token=tokens["access_token"], expect=200)
        clock.shift(timedelta(minutes=1, seconds=1))
        call(client, api, "GET", "/me", token=tokens["access_token"], expect=401)


@pytest.mark.parametrize("body", [
    {"email": "anna@demo.test", "password": "wrong-wrong-wrong"},
    {"email": "nobody@demo.test", "password": DEMO_PASSWORD},
])
def test_wrong_credentials_are_one_generic_401(client, api, worker, body):
    resp = call(client, api, "POST", "/auth/login", body, expect=401)
    assert resp.get_json()["error"] == {"code": "invalid_credentials",
                                        "message": "Het e-mailadres of wachtwoord is niet juist."}
    worker.run_once()
    assert outbox_items(client, "sms") == []


@pytest.mark.parametrize("body", [None, [], {"email": "anna@demo.test"}, {"email": 5, "password": "x"},
                                  {"email": "anna@demo.test", "password": DEMO_PASSWORD, "remember": "yes"}])
def test_malformed_bodies_are_400(client, api, body):
    resp = call(client, api, "POST", "/auth/login", body, expect=400)
    assert resp.get_json()["error"]["code"] in ("invalid_json", "invalid_field")


def test_wrong_codes_then_lock(client, api, worker):
    challenge = call(client, api, "POST", "/auth/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD},
                     expect=200).get_json()
    code = latest_code(client, worker, "+31612345671")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        resp = call(client, api, "POST", "/auth/verify", {"challenge_id": challenge["challenge_id"], "code": wrong},
                    expect=400)
        assert resp.get_json()["error"]["code"] == "invalid_code"
    resp = call(client, api, "POST", "/auth/verify", {"challenge_id": challenge["challenge_id"], "code": wrong},
                expect=400)
    assert resp.get_json()["error"]["code"] == "challenge_locked"
    resp = call(client, api, "POST", "/auth/verify", {"challenge_id": challenge["challenge_id"], "code": code},
                expect=400)
    assert resp.get_json()["error"]["code"] == "challenge_locked"


def test_a_code_works_once(client, api, worker):
    challenge = call(client, api, "POST", "/auth/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD},
                     expect=200).get_json()
    code = latest_code(client, worker, "+31612345671")
    body = {"challenge_id": challenge["challenge_id"], "code": code}
    call(client, api, "POST", "/auth/verify", body, expect=200)
    resp = call(client, api, "POST", "/auth/verify", body, expect=400)
    assert resp.get_json()["error"]["code"] == "challenge_invalid"


def test_resend_through_the_api(client, api, worker):
    with time_machine.travel(utcnow(), tick=False) as clock:
        challenge = call(client, api, "POST", "/auth/login",
                         {"email": "anna@demo.test", "password": DEMO_PASSWORD}, expect=200).get_json()
        resp = call(client, api, "POST", "/auth/resend", {"challenge_id": challenge["challenge_id"]}, expect=429)
        assert int(resp.headers["Retry-After"]) <= 30
        clock.shift(timedelta(seconds=31))
        call(client, api, "POST", "/auth/resend", {"challenge_id": challenge["challenge_id"]}, expect=200)
        code = latest_code(client, worker, "+31612345671")
        call(client, api, "POST", "/auth/verify", {"challenge_id": challenge["challenge_id"], "code": code},
             expect=200)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic YW5uYTpwdw=="])
def test_me_needs_a_valid_bearer_token(client, api, header):
    resp = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    api.check("GET", "/me", resp)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_web_session_cookie_does_not_open_the_api(client, worker):
    from tests.conftest import web_login
    web_login(client, worker)
    assert client.get("/api/v1/me").status_code == 401


def test_api_rate_limit(client, api):
    for _ in range(10):
        call(client, api, "POST", "/auth/login", {"email": "anna@demo.test", "password": "nope-nope-nope"}, expect=401)
    resp = call(client, api, "POST", "/auth/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD}, expect=429)
    assert resp.get_json()["error"]["code"] == "rate_limited"
