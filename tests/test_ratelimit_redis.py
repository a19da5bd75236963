"""Rate limits shared between app instances through Redis (ZEGEL_RATELIMIT_STORAGE_URL)."""
from __future__ import annotations

import os

import pytest

from tests.conftest import Browserish

REDIS_URL = os.environ.get("ZEGEL_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="set ZEGEL_TEST_REDIS_URL (CI does) to test Redis storage")


def test_two_app_instances_share_one_limit(make_config, keyring_file, anna):
    import redis

    from zegel.app import create_app
    from zegel.crypto.keyring import Keyring
    redis.Redis.from_url(REDIS_URL).flushdb()
    config = make_config(ZEGEL_RATELIMIT_STORAGE_URL=REDIS_URL)
    # Two gunicorn nodes behind one load balancer: each sees half of the guesses.
    nodes = [Browserish(create_app(config, Keyring.load(keyring_file)).test_client()) for _ in range(2)]
    for i in range(10):
        resp = nodes[i % 2].post_form("/login", {"email": "anna@demo.test", "password": "guess-guess-1"})
        assert resp.status_code == 401
    for node in nodes:
        resp = node.post_form("/login", {"email": "anna@demo.test", "password": "guess-guess-1"})
        assert resp.status_code == 429
