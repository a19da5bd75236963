"""Attachment downloads: real names, single ranges that resume a broken download, integrity."""
from __future__ import annotations

import io
import os
import re

import pytest
from sqlalchemy import select

from tests.messages.helpers import compose, logged_in

pytestmark = pytest.mark.usefixtures("anna")
DATA = os.urandom(200 * 1024 + 7)  # a bit over three 64 KiB chunks


@pytest.fixture
def download_url(client, worker):
    sender = logged_in(client, worker)
    compose(sender, [{"email": "otto@ontvanger.nl"}], files=[(io.BytesIO(DATA), "Überweisung März.pdf")])
    page = sender.get("/sent").get_data(as_text=True)
    conv = sender.get(re.search(r'href="(/conversations/[^"]+)"', page).group(1)).get_data(as_text=True)
    return re.search(r'href="(/messages/[^"]+/attachments/[^"]+)"', conv).group(1)


def test_whole_file_with_its_name(client, download_url):
    resp = client.get(download_url)
    assert resp.status_code == 200 and resp.data == DATA
    assert resp.headers["Content-Length"] == str(len(DATA)) and resp.headers["Accept-Ranges"] == "bytes"
    assert resp.headers["Content-Disposition"] == (
        "attachment; filename=\"_berweisung M_rz.pdf\"; filename*=UTF-8''%C3%9Cberweisung%20M%C3%A4rz.pdf")


@pytest.mark.parametrize("header,start,stop", [
    ("bytes=0-99", 0, 100),
    ("bytes=65530-65545", 65530, 65546),          # across a chunk boundary
    ("bytes=150000-", 150000, len(DATA)),          # resume to the end
    ("bytes=-10", len(DATA) - 10, len(DATA)),      # the last ten bytes
    (f"bytes=100-{10 ** 9}", 100, len(DATA)),      # an end past the file is cut to its size
])
def test_single_ranges(client, download_url, header, start, stop):
    resp = client.get(download_url, headers={"Range": header})
    assert resp.status_code == 206 and resp.data == DATA[start:stop]
    assert resp.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(DATA)}"
    assert resp.headers["Content-Length"] == str(stop - start)


def test_a_broken_download_resumes(client, download_url):
    first = client.get(download_url, headers={"Range": "bytes=0-99999"}).data
    rest = client.get(download_url, headers={"Range": f"bytes={len(first)}-"}).data
    assert first + rest == DATA


def test_unsatisfiable_and_multiple_ranges(client, download_url):
    resp = client.get(download_url, headers={"Range": f"bytes={len(DATA)}-"})
    assert resp.status_code == 416 and resp.headers["Content-Range"] == f"bytes */{len(DATA)}"
    resp = client.get(download_url, headers={"Range": "bytes=0-9,20-29"})
    assert resp.status_code == 200 and resp.data == DATA  # several ranges: the whole file
    resp = client.get(download_url, headers={"Range": "bytes=0-9", "If-Range": '"something-else"'})
    assert resp.status_code == 200 and resp.data == DATA
    etag = client.get(download_url).headers["ETag"]
    resp = client.get(download_url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert resp.status_code == 206 and resp.data == DATA[:10]


def test_a_damaged_file_is_an_error_not_garbage(client, download_url, session, config):
    from zegel.messages.models import Attachment
    blob = config.var_dir / "blobs" / session.scalar(select(Attachment.blob_key))
    raw = bytearray(blob.read_bytes())
    raw[40] ^= 1  # inside the first chunk
    blob.write_bytes(bytes(raw))
    resp = client.get(download_url)
    assert resp.status_code == 500 and "beschadigd" in resp.get_data(as_text=True)
    assert DATA[:100] not in resp.data
