"""A live Zegel server for real tus clients, and a bearer token for Anna."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import DEMO_PASSWORD, latest_code


@pytest.fixture
def live(app, anna):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def bearer_for(client, worker, email="anna@demo.test", phone="+31612345671") -> dict:
    challenge = client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}).get_json()
    code = latest_code(client, worker, phone)
    tokens = client.post("/api/v1/auth/verify", json={"challenge_id": challenge["challenge_id"], "code": code})
    return {"Authorization": f"Bearer {tokens.get_json()['access_token']}"}


@pytest.fixture
def auth(client, worker, anna):
    return bearer_for(client, worker)
