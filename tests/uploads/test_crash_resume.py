"""A real `zegel serve` (gunicorn) killed with SIGKILL in the middle of a PATCH: restart, HEAD, carry on."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from zegel.uploads import service as upload_service

SIZE = 20 * 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict, port: int):
        self.env, self.port, self.proc = env, port, None
        self.url = f"http://127.0.0.1:{port}"

    def start(self):
        # A process group of its own, so SIGKILL takes the gunicorn master and its worker at once.
        self.proc = subprocess.Popen([sys.executable, "-m", "zegel.cli", "serve", "--port", str(self.port),
                                      "--workers", "1", "--threads", "2"], env=self.env, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/login", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise AssertionError("zegel serve did not start")

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def server(tmp_path):
    env = {**os.environ, "ZEGEL_VAR_DIR": str(tmp_path), "ZEGEL_DEV_OUTBOX": "1", "ZEGEL_DATABASE_URL": "",
           "ZEGEL_KEYRING_PATH": "", "ZEGEL_RATELIMIT_ENABLED": "0", "ZEGEL_WORKER_POLL_SECONDS": "1"}
    for command in (["init"], ["demo"]):
        assert subprocess.run([sys.executable, "-m", "zegel.cli", *command], env=env, capture_output=True,
                              timeout=120).returncode == 0
    srv = Server(env, free_port())
    srv.start()
    yield srv
    if srv.proc.poll() is None:
        srv.kill()


def _sms(url: str) -> list[dict]:
    return [i for i in requests.get(f"{url}/dev/outbox.json").json()["items"] if i["kind"] == "sms"]


def bearer(url: str) -> dict:
    before = len(_sms(url))  # after a restart the first login's code is still in the outbox
    challenge = requests.post(f"{url}/api/v1/auth/login",
                              json={"email": "anna@demo.test", "password": "zegel-demo-2026"}).json()
    for _ in range(100):
        sms = _sms(url)
        if len(sms) > before:
            break
        time.sleep(0.1)
    code = re.search(r"\b(\d{6})\b", sms[-1]["text"]).group(1)
    tokens = requests.post(f"{url}/api/v1/auth/verify", json={"challenge_id": challenge["challenge_id"],
                                                              "code": code}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_sigkill_mid_patch_then_resume(server, tmp_path):
    data = os.urandom(SIZE)
    auth = bearer(server.url)
    url = requests.post(f"{server.url}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": str(SIZE)}
                        ).headers["Location"]
    half_sent = threading.Event()

    def body():
        sent = 0
        while sent < SIZE:
            yield data[sent:sent + 256 * 1024]
            sent += 256 * 1024
            time.sleep(0.05)  # 12 MiB in about 2.5 s: long enough for the once-a-second checkpoint
            if sent >= 12 * 1024 * 1024:
                half_sent.set()
                time.sleep(30)  # the server dies while we are still sending

    def patch():
        try:
            requests.patch(url, data=body(), headers={**TUS, **auth, "Upload-Offset": "0",
                                                      "Content-Type": "application/offset+octet-stream"}, timeout=60)
        except requests.RequestException:
            pass  # expected: the server was killed

    sender = threading.Thread(target=patch, daemon=True)
    sender.start()
    assert half_sent.wait(30)
    time.sleep(1.0)  # let the server take in what was sent
    server.kill()

    server.start()
    auth = bearer(server.url)
    offset = int(requests.head(url, headers={**TUS, **auth}).headers["Upload-Offset"])
    # Saved at least at a checkpoint (8 MiB and a second), on a chunk boundary: not back to zero.
    assert offset >= upload_service.CHECKPOINT_BYTES and offset % 65536 == 0
    resp = requests.patch(url, data=data[offset:], headers={**TUS, **auth, "Upload-Offset": str(offset),
                                                            "Content-Type": "application/offset+octet-stream"})
    assert resp.status_code == 204 and resp.headers["Upload-Offset"] == str(SIZE)

    upload_id = url.rsplit("/", 1)[1]
    body = {"subject": "Groot bestand", "attachments": [upload_id],
            "recipients": [{"email": "bram@demo.test", "verification": {"method": "account"}}]}
    sent = requests.post(f"{server.url}/api/v1/messages", json=body, headers=auth).json()
    # The sender downloads it again through the web mailbox; the bytes must be the source's.
    session = requests.Session()
    page = session.get(f"{server.url}/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    session.post(f"{server.url}/login", data={"csrf_token": token, "email": "anna@demo.test",
                                              "password": "zegel-demo-2026"})
    time.sleep(1.5)
    sms = [i for i in requests.get(f"{server.url}/dev/outbox.json").json()["items"] if i["kind"] == "sms"]
    code = re.search(r"\b(\d{6})\b", sms[-1]["text"]).group(1)
    page = session.get(f"{server.url}/login/verify").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    session.post(f"{server.url}/login/verify", data={"csrf_token": token, "code": code})
    download = session.get(f"{server.url}/messages/{sent['id']}/attachments/{upload_id}")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(data).hexdigest()
