"""A live Zegel server in a thread and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import itertools
import os
import re
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import DEMO_PASSWORD

CHROMIUM = os.environ.get("ZEGEL_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
# The flags Debian's Chromium needs here: no sandbox as root, and no background
# connections that this machine's closed network would refuse.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium'; "
                "`make test` installs it when run as root)", allow_module_level=True)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def live_smtp():
    """The recipients' mail server: notification e-mails leave the live server by real SMTP."""
    from tests.smtp_server import SmtpServer
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, keyring_file, sqlite_template, live_smtp):
    """The real app on a free port, with the delivery worker thread, on its own SQLite file.
    SMS codes go to the dev outbox; e-mail goes over SMTP to ``live_smtp``."""
    import shutil

    from zegel.app import create_app
    from zegel.config import Config
    from zegel.crypto.keyring import Keyring
    from zegel.delivery.worker import start_thread

    var = tmp_path_factory.mktemp("live")
    shutil.copy(sqlite_template, var / "zegel.db")
    config = Config.from_env({
        "ZEGEL_VAR_DIR": str(var), "ZEGEL_KEYRING_PATH": str(keyring_file), "ZEGEL_DEV_OUTBOX": "1",
        # Many logins from one address in a few seconds: the limits are tested elsewhere.
        "ZEGEL_RATELIMIT_ENABLED": "0", "ZEGEL_WORKER_POLL_SECONDS": "1",
        "ZEGEL_SMTP_HOST": "127.0.0.1", "ZEGEL_SMTP_PORT": str(live_smtp.port), "ZEGEL_SMTP_SECURITY": "none",
    })
    app = create_app(config, Keyring.load(keyring_file))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop = start_thread(app)
    url = f"http://127.0.0.1:{server.server_port}"
    from zegel.accounts.service import create_organisation
    from zegel.extensions import db
    with app.app_context():
        create_organisation(db.session, "Demo")
    yield app, url
    stop.set()
    server.shutdown()


_numbers = itertools.count(10)


def _new_live_user(live_server, role: str = "user") -> dict:
    from sqlalchemy import select

    from zegel.accounts.models import Organisation
    from zegel.accounts.service import create_user
    from zegel.extensions import db

    app, _url = live_server
    n = next(_numbers)
    name = f"Tester {n}" if role == "user" else f"Beheerder {n}"
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        user = create_user(db.session, org, name=name, email=f"tester{n}-{os.getpid()}@demo.test",
                           phone=f"+316123456{n:02d}", password=DEMO_PASSWORD, role=role)
        return {"email": user.email, "phone": user.phone, "name": user.name}


@pytest.fixture
def live_user(live_server):
    """A fresh user per test, so tests cannot sign each other out."""
    return _new_live_user(live_server)


@pytest.fixture
def live_admin(live_server):
    """A fresh administrator of the organisation."""
    return _new_live_user(live_server, role="admin")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def wait_for_code(base_url: str, phone: str, after: int = 0, timeout: float = 15.0) -> str:
    """Poll the dev outbox (as a person would look at their phone) for a new code."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = requests.get(f"{base_url}/dev/outbox.json", timeout=5).json()["items"]
        for item in reversed(items):
            if item["to"] == phone and item["kind"] == "sms" and item["id"] > after:
                return re.search(r"\b(\d{6})\b", item["text"]).group(1)
        time.sleep(0.2)
    raise AssertionError(f"no SMS to {phone} within {timeout} s")


def last_outbox_id(base_url: str) -> int:
    items = requests.get(f"{base_url}/dev/outbox.json", timeout=5).json()["items"]
    return items[-1]["id"] if items else 0


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
