"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL for
tests marked ``database`` when ZEGEL_TEST_DATABASE_URL is set), the app, a
client that speaks the forms' CSRF tokens, and helpers to read the dev outbox."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from zegel.app import create_app
from zegel.config import Config
from zegel.crypto.keyring import Keyring
from zegel.migrate import upgrade

PG_URL = os.environ.get("ZEGEL_TEST_DATABASE_URL")
DEMO_PASSWORD = "zegel-demo-2026"


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if PG_URL and metafunc.definition.get_closest_marker("database"):
            backends.append("postgresql")
        metafunc.parametrize("db_backend", backends, indirect=True)


@pytest.fixture
def db_backend(request):
    return request.param


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def keyring_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "keyring.json"
    Keyring.create(path)
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Migrated once per test process; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "zegel.db"
    upgrade(f"sqlite:///{path}")
    # Fold the WAL into the main file so a plain copy is complete.
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database_url():
    """One PostgreSQL database per xdist worker, migrated once."""
    if not PG_URL:
        return None
    base, _, name = PG_URL.rpartition("/")
    name = f"{name}_{_worker_suffix()}"
    admin = create_engine(f"{base}/postgres".replace("postgresql://", "postgresql+psycopg://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"{base}/{name}"
    upgrade(url.replace("postgresql://", "postgresql+psycopg://"))
    return url


def _truncate_pg(url: str) -> None:
    from zegel.schema import metadata
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
    engine.dispose()


@pytest.fixture
def database_url(db_backend, tmp_path, sqlite_template, pg_database_url) -> str:
    if db_backend == "postgresql":
        _truncate_pg(pg_database_url)
        return pg_database_url
    path = tmp_path / "zegel.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_config(tmp_path, keyring_file, database_url):
    def make(**env) -> Config:
        base = {
            "ZEGEL_VAR_DIR": str(tmp_path),
            "ZEGEL_DATABASE_URL": database_url,
            "ZEGEL_KEYRING_PATH": str(keyring_file),
            "ZEGEL_DEV_OUTBOX": "1",
        }
        base.update(env)
        return Config.from_env(base)
    return make


@pytest.fixture
def config(make_config) -> Config:
    return make_config()


@pytest.fixture
def app(config, keyring_file):
    app = create_app(config, Keyring.load(keyring_file))
    yield app
    from zegel.db import Database
    Database.engine_for(app).dispose()


@pytest.fixture
def session(app, database_url):
    """A session for arranging and checking state. It autocommits every
    statement, so it never holds a lock that the app's requests wait for and
    always reads what they wrote (call ``expire_all()`` before re-reading an
    object it already loaded). It pushes no app context: one left pushed
    would be shared by the test client's requests (and with it ``g``)."""
    from sqlalchemy.orm import Session
    url = database_url.replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@pytest.fixture
def worker(app):
    from zegel.delivery.worker import Worker
    return Worker(app)


@pytest.fixture
def api(client):
    """The served OpenAPI document, that answers are checked against."""
    from tests.api.openapi_check import OpenApi
    return OpenApi(client.get("/api/v1/openapi.json").get_json())


@pytest.fixture
def token(client, api, worker):
    """An access token of anna (use with the ``anna`` fixture)."""
    from tests.api.test_auth_api import api_login
    return api_login(client, api, worker)["access_token"]


@pytest.fixture
def org(app, session):
    from zegel.accounts.service import create_organisation
    with app.app_context():
        return create_organisation(session, "Demo")


@pytest.fixture
def make_user(app, session, org):
    def make(email, phone, name="Test User", role="user", password=DEMO_PASSWORD):
        from zegel.accounts.service import create_user
        with app.app_context():
            return create_user(session, org, name=name, email=email, phone=phone, password=password, role=role)
    return make


@pytest.fixture
def anna(make_user):
    return make_user("anna@demo.test", "06 12345671", name="Anna de Vries")


@pytest.fixture
def bram(make_user):
    return make_user("bram@demo.test", "+31612345672", name="Bram Jansen")


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Browserish:
    """The Flask test client plus what a browser does for us: CSRF tokens from forms."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def csrf(self, path: str = "/login") -> str:
        html = self.client.get(path).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, data: dict, token_from: str | None = None, **kw):
        data = {"csrf_token": self.csrf(token_from or path), **data}
        return self.client.post(path, data=data, **kw)


@pytest.fixture
def client(app):
    return Browserish(app.test_client())


@pytest.fixture
def new_client(app):
    """Another browser, with its own cookie jar."""
    return lambda: Browserish(app.test_client())


def outbox_items(client, kind: str | None = None) -> list[dict]:
    items = client.get("/dev/outbox.json").get_json()["items"]
    return [i for i in items if kind is None or i["kind"] == kind]


def latest_match(client, worker, kind: str, to: str, pattern: str) -> str:
    """Deliver the outbox, then take ``pattern``'s group from the newest ``kind`` message to ``to``."""
    worker.run_once()
    for item in reversed(outbox_items(client, kind)):
        if item["to"] == to:
            return re.search(pattern, item["text"]).group(1)
    raise AssertionError(f"no {kind} to {to} in the dev outbox")


def latest_code(client, worker, phone: str) -> str:
    """The newest 6-digit code sent by SMS to ``phone``."""
    return latest_match(client, worker, "sms", phone, r"\b(\d{6})\b")


def web_login(client, worker, email="anna@demo.test", password=DEMO_PASSWORD, remember=False,
              phone="+31612345671"):
    """Password, then the SMS code; returns the response to the code step."""
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    resp = client.post_form("/login", data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    code = latest_code(client, worker, phone)
    return client.post_form("/login/verify", {"code": code})
