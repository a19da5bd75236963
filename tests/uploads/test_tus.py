"""The tus 1.0.0 endpoint, driven by a tus client nobody here wrote (tuspy) and by hand for the edges."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select
from tusclient import client as tus

from tests.uploads.conftest import bearer_for
from zegel.crypto import stream

TUS = {"Tus-Resumable": "1.0.0"}


def open_upload(app, session, upload_id) -> bytes:
    """The plaintext the server holds, decrypted the way an attachment will be."""
    from zegel.uploads import service
    from zegel.uploads.models import Upload
    upload = session.get(Upload, upload_id)
    with app.app_context():
        dek = service.upload_dek(upload)
        store = app.extensions["zegel.blobs"]
        key = service.blob_key(upload_id)
        return b"".join(stream.decrypt_range(lambda o, n: store.read_at(key, o, n), store.size(key), dek,
                                             f"attachment:{upload_id}"))


def test_discovery(live):
    resp = requests.options(f"{live}/api/v1/uploads/")
    assert resp.status_code == 204
    assert resp.headers["Tus-Version"] == "1.0.0" and resp.headers["Tus-Max-Size"] == str(50 * 1024 ** 3)
    assert set(resp.headers["Tus-Extension"].split(",")) == {"creation", "creation-with-upload", "expiration",
                                                            "checksum", "termination"}
    assert resp.headers["Tus-Checksum-Algorithm"] == "sha256,sha1"


@pytest.mark.parametrize("size,chunk", [(0, 1024), (1, 1024), (200_000, 50_000), (65536 * 3, 65536)])
def test_tuspy_uploads_and_the_server_holds_it_encrypted(live, auth, app, session, size, chunk):
    data = os.urandom(size)
    uploader = tus.TusClient(f"{live}/api/v1/uploads/", headers=auth).uploader(
        file_stream=io.BytesIO(data), chunk_size=chunk, metadata={"filename": "uitslag.pdf", "filetype": "application/pdf"},
        upload_checksum=True)  # tuspy sends sha1
    uploader.upload()
    upload_id = uploader.url.rsplit("/", 1)[1]
    assert open_upload(app, session, upload_id) == data
    head = requests.head(uploader.url, headers={**TUS, **auth})
    assert head.headers["Upload-Offset"] == head.headers["Upload-Length"] == str(size)


def send_then_drop(url: str, headers: dict, announced: int, payload: bytes) -> None:
    """A PATCH whose connection breaks: announce ``announced`` bytes, send ``payload``, hang up."""
    parts = urlsplit(url)
    lines = [f"PATCH {parts.path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {announced}",
             "Content-Type: application/offset+octet-stream", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((parts.hostname, parts.port)) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        time.sleep(0.3)
        sock.shutdown(socket.SHUT_RDWR)


def wait_for_offset(url, headers, expected, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        offset = int(requests.head(url, headers=headers).headers["Upload-Offset"])
        if offset == expected:
            return offset
        time.sleep(0.1)
    return offset


def test_resume_after_the_network_breaks(live, auth, app, session):
    data = os.urandom(300_000)
    created = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": str(len(data))})
    url = created.headers["Location"]
    send_then_drop(url, {**TUS, **auth, "Upload-Offset": "0"}, len(data), data[:100_000])
    # Everything that arrived is kept: one whole chunk in the stream, the rest sealed aside.
    offset = wait_for_offset(url, {**TUS, **auth}, 100_000)
    assert offset == 100_000
    wrong = requests.patch(url, data=data[:10], headers={
        **TUS, **auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert wrong.status_code == 409
    for start in range(offset, len(data), 30_000):  # small pieces, less than a chunk each, still progress
        resp = requests.patch(url, data=data[start:start + 30_000], headers={
            **TUS, **auth, "Upload-Offset": str(start), "Content-Type": "application/offset+octet-stream"})
        assert resp.status_code == 204 and resp.headers["Upload-Offset"] == str(min(start + 30_000, len(data)))
    assert open_upload(app, session, url.rsplit("/", 1)[1]) == data


def test_creation_with_upload_and_checksums(live, auth, app, session):
    data = os.urandom(70_000)
    good = base64.b64encode(hashlib.sha256(data).digest()).decode()
    bad = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    created = requests.post(f"{live}/api/v1/uploads/", data=data[:70_000], headers={
        **TUS, **auth, "Upload-Length": str(len(data)), "Content-Type": "application/offset+octet-stream",
        "Upload-Checksum": f"sha256 {bad}"})
    assert created.status_code == 460  # nothing of it is kept
    created = requests.post(f"{live}/api/v1/uploads/", data=data, headers={
        **TUS, **auth, "Upload-Length": str(len(data)), "Content-Type": "application/offset+octet-stream",
        "Upload-Checksum": f"sha256 {good}"})
    assert created.status_code == 201 and created.headers["Upload-Offset"] == str(len(data))
    assert open_upload(app, session, created.headers["Location"].rsplit("/", 1)[1]) == data


def test_a_bad_checksum_on_patch_keeps_the_old_offset(live, auth):
    data = os.urandom(140_000)
    url = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": str(len(data))}
                        ).headers["Location"]
    bad = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
    resp = requests.patch(url, data=data, headers={**TUS, **auth, "Upload-Offset": "0", "Upload-Checksum": f"sha256 {bad}",
                                                   "Content-Type": "application/offset+octet-stream"})
    assert resp.status_code == 460
    assert requests.head(url, headers={**TUS, **auth}).headers["Upload-Offset"] == "0"


@pytest.mark.parametrize("headers,status", [
    ({"Upload-Length": str(50 * 1024 ** 3 + 1)}, 413),
    ({"Upload-Length": "-5"}, 400),
    ({"Upload-Length": "lots"}, 400),
    ({}, 400),
    ({"Upload-Length": "10", "Upload-Metadata": "filename ***"}, 400),
])
def test_bad_creation_requests(live, auth, headers, status):
    resp = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, **headers})
    assert resp.status_code == status and resp.json()["error"]["message"]


def test_protocol_errors(live, auth):
    url = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": "10"}).headers["Location"]
    assert requests.head(url, headers=auth).status_code == 412  # no Tus-Resumable
    assert requests.patch(url, data=b"0123456789", headers={**TUS, **auth, "Upload-Offset": "0",
                                                           "Content-Type": "text/plain"}).status_code == 415
    too_much = requests.patch(url, data=b"0123456789AB", headers={
        **TUS, **auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert too_much.status_code == 413
    assert requests.head(url, headers={**TUS, **auth}).headers["Upload-Offset"] == "0"


def test_uploads_belong_to_their_owner(live, auth, client, worker, bram):
    url = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": "10"}).headers["Location"]
    other = bearer_for(client, worker, "bram@demo.test", "+31612345672")
    assert requests.head(url, headers={**TUS, **other}).status_code == 404
    assert requests.patch(url, data=b"0123456789", headers={
        **TUS, **other, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}).status_code == 404
    assert requests.delete(url, headers={**TUS, **other}).status_code == 404
    assert requests.post(f"{live}/api/v1/uploads/", headers={**TUS, "Upload-Length": "10"}).status_code == 401


def test_termination_removes_everything(live, auth, app, session):
    from zegel.uploads.models import Upload
    data = os.urandom(1000)
    uploader = tus.TusClient(f"{live}/api/v1/uploads/", headers=auth).uploader(file_stream=io.BytesIO(data),
                                                                               chunk_size=400)
    uploader.upload()
    upload_id = uploader.url.rsplit("/", 1)[1]
    assert requests.delete(uploader.url, headers={**TUS, **auth}).status_code == 204
    assert requests.head(uploader.url, headers={**TUS, **auth}).status_code == 404
    assert session.scalar(select(Upload).where(Upload.id == upload_id)) is None
    assert not list((app.config["ZEGEL"].var_dir / "blobs").rglob(f"*{upload_id}*"))


def test_expired_uploads_answer_410(live, auth, session):
    from datetime import timedelta

    from sqlalchemy import update

    from zegel.clock import utcnow
    from zegel.uploads.models import Upload
    url = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": "10"}).headers["Location"]
    expires = requests.head(url, headers={**TUS, **auth}).headers["Upload-Expires"]
    from email.utils import parsedate_to_datetime
    left = parsedate_to_datetime(expires) - utcnow()
    assert expires.endswith("GMT") and timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)
    session.execute(update(Upload).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert requests.head(url, headers={**TUS, **auth}).status_code == 410


def test_the_web_session_cookie_also_works(live, client, worker):
    from tests.conftest import web_login
    web_login(client, worker)
    cookie = client.get_cookie("zegel_session").value
    resp = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, "Upload-Length": "3"},
                         cookies={"zegel_session": cookie})
    assert resp.status_code == 201


def test_a_full_disk_is_a_503_and_the_offset_stays(live, auth, app, monkeypatch):
    """The blob store refuses the finished file: the client is told to retry, nothing is marked complete."""
    from zegel.storage.base import StorageUnavailable

    def refuse(*args, **kwargs):
        raise StorageUnavailable("no space left on device")

    store = app.extensions["zegel.blobs"]
    monkeypatch.setattr(store, "put_file", refuse)
    monkeypatch.setattr(store, "put", refuse)
    url = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": "5"}).headers["Location"]
    resp = requests.patch(url, data=b"12345", headers={**TUS, **auth, "Upload-Offset": "0",
                                                       "Content-Type": "application/offset+octet-stream"})
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
    assert requests.head(url, headers={**TUS, **auth}).headers["Upload-Offset"] == "0"
    monkeypatch.undo()
    resp = requests.patch(url, data=b"12345", headers={**TUS, **auth, "Upload-Offset": "0",
                                                       "Content-Type": "application/offset+octet-stream"})
    assert resp.status_code == 204 and resp.headers["Upload-Offset"] == "5"


def test_a_finished_upload_becomes_an_attachment(live, auth, app, client, worker, new_client, session):
    from tests.messages.helpers import notification_link
    from zegel.uploads.models import Upload
    data = os.urandom(150_000)
    uploader = tus.TusClient(f"{live}/api/v1/uploads/", headers=auth).uploader(
        file_stream=io.BytesIO(data), chunk_size=70_000, metadata={"filename": "scan röntgen.pdf",
                                                                   "filetype": "application/pdf"})
    uploader.upload()
    upload_id = uploader.url.rsplit("/", 1)[1]
    body = {"subject": "Scan", "body_html": "<p>Zie scan</p>", "attachments": [upload_id],
            "recipients": [{"email": "otto@ontvanger.nl", "verification": {"method": "none"}}]}
    resp = client.post("/api/v1/messages", json=body, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    assert session.get(Upload, upload_id) is None  # used up
    again = client.post("/api/v1/messages", json=body, headers=auth)
    assert again.status_code == 404

    link = notification_link(client, worker, "otto@ontvanger.nl")
    otto = new_client()
    otto.post_form(f"{link}/open", {}, token_from=link)
    page = otto.get(f"{link}/read").get_data(as_text=True)
    assert "scan röntgen.pdf" in page
    import re as _re
    href = _re.search(r'href="(/r/[^"]+/attachments/[^"]+)"', page).group(1)
    assert otto.get(href).data == data
    assert otto.get(href, headers={"Range": "bytes=100000-"}).data == data[100_000:]


def test_only_finished_own_uploads_can_be_attached(live, auth, client, worker, bram):
    unfinished = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": "10"}
                               ).headers["Location"].rsplit("/", 1)[1]
    body = {"subject": "x", "recipients": [{"email": "otto@ontvanger.nl"}], "attachments": [unfinished]}
    assert client.post("/api/v1/messages", json=body, headers=auth).status_code == 409
    other = bearer_for(client, worker, "bram@demo.test", "+31612345672")
    assert client.post("/api/v1/messages", json=body, headers=other).status_code == 404
    body["attachments"] = [unfinished, unfinished]
    assert client.post("/api/v1/messages", json=body, headers=auth).status_code == 400
    for bad in (5, "abc", [1], {"id": unfinished}, [f"id-{i}" for i in range(1001)]):
        body["attachments"] = bad
        resp = client.post("/api/v1/messages", json=body, headers=auth)
        assert resp.status_code == 400, (bad, resp.get_json())


def test_expired_uploads_are_cleaned_up(live, auth, app, session, config, database_url, keyring_file):
    import subprocess
    import sys
    from datetime import timedelta

    from sqlalchemy import update

    from zegel.clock import utcnow
    from zegel.uploads.models import Upload
    finished = tus.TusClient(f"{live}/api/v1/uploads/", headers=auth).uploader(file_stream=io.BytesIO(b"x" * 100),
                                                                               chunk_size=100)
    finished.upload()
    half = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": "100000"}).headers["Location"]
    requests.patch(half, data=b"y" * 70_000, headers={**TUS, **auth, "Upload-Offset": "0",
                                                      "Content-Type": "application/offset+octet-stream"})
    fresh = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": "5"}).headers["Location"]
    ids = [u.rsplit("/", 1)[1] for u in (finished.url, half, fresh)]
    session.execute(update(Upload).where(Upload.id.in_(ids[:2])).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert requests.head(finished.url, headers={**TUS, **auth}).status_code == 410

    env = {**os.environ, "ZEGEL_DATABASE_URL": database_url, "ZEGEL_KEYRING_PATH": str(keyring_file),
           "ZEGEL_DEV_OUTBOX": "1", "ZEGEL_VAR_DIR": str(config.var_dir)}
    result = subprocess.run([sys.executable, "-m", "zegel.cli", "cleanup"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "removed 2 expired uploads" in result.stdout
    assert sorted(session.scalars(select(Upload.id))) == [ids[2]]
    leftovers = [p.name for p in config.var_dir.rglob("*") if p.is_file() and any(i in p.name for i in ids[:2])]
    assert leftovers == []
    assert requests.head(fresh, headers={**TUS, **auth}).status_code == 200


def test_a_second_patch_at_the_same_time_gets_423(live, auth, app):
    from zegel.uploads import service
    url = requests.post(f"{live}/api/v1/uploads/", headers={**TUS, **auth, "Upload-Length": "5"}).headers["Location"]
    with app.app_context(), service.exclusive(url.rsplit("/", 1)[1]):  # as if another PATCH were streaming
        resp = requests.patch(url, data=b"12345", headers={**TUS, **auth, "Upload-Offset": "0",
                                                           "Content-Type": "application/offset+octet-stream"})
    assert resp.status_code == 423
    resp = requests.patch(url, data=b"12345", headers={**TUS, **auth, "Upload-Offset": "0",
                                                       "Content-Type": "application/offset+octet-stream"})
    assert resp.status_code == 204


def test_the_expiry_is_configurable(make_config, keyring_file, anna):
    from datetime import timedelta

    from zegel.app import create_app
    from zegel.clock import utcnow
    from zegel.crypto.keyring import Keyring
    from zegel.extensions import db
    from zegel.uploads import service
    app = create_app(make_config(ZEGEL_UPLOAD_EXPIRY_HOURS="2"), Keyring.load(keyring_file))
    with app.app_context():
        upload = service.create(db.session, db.session.merge(anna), length=10, metadata_header=None)
        assert timedelta(minutes=119) < upload.expires_at - utcnow() <= timedelta(hours=2)
