"""What a scan request may carry: the add-in's inline base64 files, and files larger than the app's
usual 1 MiB body, which only a signed-in caller gets parsed."""
from __future__ import annotations

import base64
import io

from tests.dlp import files
from tests.uploads.conftest import auth, bearer_for, live  # noqa: F401  (fixtures)

BSN_TEXT = b"Burgerservicenummer: 111222333\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_inline_base64_files_are_scanned_like_uploaded_ones(client, auth):
    docx = files.docx("Patiënt: O. Ontvanger", "Burgerservicenummer: 1112.22.333")
    resp = client.post("/api/v1/dlp/scan", headers=auth, json={
        "subject": "Uitslag", "body_html": "<p>Zie bijlage</p>",
        "files": [{"name": "brief.txt", "content": b64(b"Tot dinsdag.")},
                  {"name": "Gevoelige informatie.docx", "content": b64(docx)}]})
    assert resp.status_code == 200, resp.get_json()
    bsn = [f for f in resp.get_json()["findings"] if f["detector"] == "bsn"]
    assert [(f["location"], f["file"]) for f in bsn] == [("attachment", "Gevoelige informatie.docx")]


def test_bad_inline_files_are_refused(client, auth):
    for body, status in [({"files": [{"name": "a.txt", "content": "not base64!"}]}, 400),
                         ({"files": [{"name": "a.txt"}]}, 400),
                         ({"files": "a.txt"}, 400),
                         ({"files": [{"name": "a.txt", "content": b64(b"x")}] * 101}, 400)]:
        resp = client.post("/api/v1/dlp/scan", headers=auth, json=body)
        assert resp.status_code == status and resp.get_json()["error"]["message"]


def test_a_signed_in_caller_may_send_a_scan_larger_than_one_mib(client, auth):
    big = BSN_TEXT + b"x" * (3 * 1024 * 1024)
    resp = client.post("/api/v1/dlp/scan", headers=auth, content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(big), "groot.txt")]})
    assert resp.status_code == 200, resp.get_json()
    assert any(f["detector"] == "bsn" and f["file"] == "groot.txt" for f in resp.get_json()["findings"])
    resp = client.post("/api/v1/dlp/scan", headers=auth, json={"files": [{"name": "groot.txt", "content": b64(big)}]})
    assert resp.status_code == 200
    assert any(f["detector"] == "bsn" for f in resp.get_json()["findings"])


def test_without_a_valid_token_a_large_body_is_not_even_read(client):
    big = b"x" * (3 * 1024 * 1024)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        resp = client.post("/api/v1/dlp/scan", headers=headers, content_type="multipart/form-data",
                           data={"files": [(io.BytesIO(big), "groot.txt")]})
        assert resp.status_code == 413
    assert client.post("/api/v1/dlp/scan", json={}).status_code == 401


def test_the_web_compose_scan_takes_large_files_for_a_signed_in_user_only(client, new_client, worker, anna):
    from tests.messages.helpers import logged_in
    big = BSN_TEXT + b"x" * (3 * 1024 * 1024)
    stranger = new_client()
    resp = stranger.post("/compose/dlp", content_type="multipart/form-data",
                         data={"files": [(io.BytesIO(big), "groot.txt")]})
    assert resp.status_code == 413
    logged_in(client, worker)
    token = client.csrf("/compose")
    resp = client.post("/compose/dlp", headers={"X-CSRFToken": token}, content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(big), "groot.txt")]})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert any(f["detector"] == "bsn" for f in resp.get_json()["findings"])
