"""Attacks found in review: open redirects, lock-outs by strangers, bytes no database takes, refresh races."""
from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD, latest_code

pytestmark = pytest.mark.usefixtures("anna")


@pytest.mark.parametrize("target", ["/%09/evil.example/phish", "//evil.example", "/\\evil.example",
                                    "https://evil.example/", "/%0a/x", "/ /evil.example", "/%7f/evil"])
def test_next_never_leaves_the_site_nor_breaks_the_login(client, worker, target):
    client.post_form(f"/login?next={target}", {"email": "anna@demo.test", "password": DEMO_PASSWORD},
                     token_from="/login")
    resp = client.post_form("/login/verify", {"code": latest_code(client, worker, "+31612345671")})
    assert resp.status_code == 302 and resp.headers["Location"] == "/inbox"


def test_a_safe_next_path_is_kept(client, worker):
    client.post_form("/login?next=/account/devices", {"email": "anna@demo.test", "password": DEMO_PASSWORD},
                     token_from="/login")
    resp = client.post_form("/login/verify", {"code": latest_code(client, worker, "+31612345671")})
    assert resp.headers["Location"] == "/account/devices"


def test_strangers_guesses_do_not_lock_the_owner_out(client, new_client, worker):
    stranger = new_client()
    for _ in range(10):
        resp = stranger.post_form("/login", {"email": "anna@demo.test", "password": "guess-guess-1"},
                                  environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert resp.status_code == 401
    # The stranger is now limited for this address ...
    resp = stranger.post_form("/login", {"email": "anna@demo.test", "password": "guess-guess-1"},
                              environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert resp.status_code == 429
    # ... and so is the address itself, but a correct password is not counted as a failure.
    owner = new_client()
    resp = owner.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD},
                           environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert resp.status_code == 429


def test_one_ipv6_network_counts_as_one_client(client):
    for i in range(30):
        client.post_form("/login", {"email": f"x{i}@demo.test", "password": "guess-guess-1"},
                         environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{i + 1:x}"})
    resp = client.post_form("/login", {"email": "y@demo.test", "password": "guess-guess-1"},
                            environ_base={"REMOTE_ADDR": "2001:db8:1:2::ffff"})
    assert resp.status_code == 429


@pytest.mark.parametrize("body", [
    {"email": "anna@demo.test", "password": "\ud800"},
    {"email": "anna\x00@demo.test", "password": DEMO_PASSWORD},
    {"email": "\ud800@demo.test", "password": DEMO_PASSWORD},
])
@pytest.mark.database
def test_unstorable_characters_in_json_are_a_400(client, body):
    import json
    resp = client.post("/api/v1/auth/login", data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_input"


@pytest.mark.database
def test_unstorable_characters_in_forms_are_a_400(client):
    resp = client.post_form("/login", {"email": "anna\x00@demo.test", "password": DEMO_PASSWORD})
    assert resp.status_code == 400 and "niet zijn toegestaan" in resp.get_data(as_text=True)
    resp = client.post_form("/language", {"language": "en", "next": "/\n"}, token_from="/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/inbox"


def test_a_retried_refresh_does_not_end_the_login(client, worker):
    challenge = client.post("/api/v1/auth/login", json={"email": "anna@demo.test", "password": DEMO_PASSWORD}).get_json()
    tokens = client.post("/api/v1/auth/verify", json={"challenge_id": challenge["challenge_id"],
                                                      "code": latest_code(client, worker, "+31612345671")}).get_json()
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    retry = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200 and retry.status_code == 401
    new = first.get_json()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {new['access_token']}"}).status_code == 200
