"""A folder attached through resumable uploads: its files keep their paths, the mailbox lists it as one
item, and sender and recipient download it as one zip that holds exactly those files."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import select
from tusclient import client as tus

from tests.messages.helpers import compose, logged_in, notification_link

FILES = {"Dossier 12/brief.txt": b"Geachte heer,\n", "Dossier 12/scans/knie.bin": bytes(range(256)) * 700,
         "Dossier 12/scans/leeg.txt": b""}


def upload(live, auth, name: str, data: bytes, relative_path: str | None = None) -> str:
    metadata = {"filename": name.rsplit("/", 1)[-1], "filetype": "application/octet-stream"}
    if relative_path:
        metadata["relativePath"] = relative_path
    uploader = tus.TusClient(f"{live}/api/v1/uploads/", headers=auth).uploader(
        file_stream=io.BytesIO(data), chunk_size=100_000, metadata=metadata)
    uploader.upload()
    return uploader.url.rsplit("/", 1)[1]


@pytest.fixture
def folder_message(live, auth, client, worker):
    ids = [upload(live, auth, path, data, path) for path, data in FILES.items()]
    ids.append(upload(live, auth, "los.pdf", b"%PDF-1.4 los"))
    sender = logged_in(client, worker)
    resp = compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"}], uploads=ids)
    conversation = sender.get(resp.headers["Location"]).get_data(as_text=True)
    return sender, conversation


def read_zip(resp) -> zipfile.ZipFile:
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/zip"
    assert int(resp.headers["Content-Length"]) == len(resp.data)
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    assert archive.testzip() is None  # every CRC matches
    return archive


def test_the_sender_sees_one_folder_and_downloads_it_as_a_zip(folder_message):
    sender, page = folder_message
    assert "Dossier 12.zip" in page and "3 bestanden" in page
    assert "scans/knie.bin" in page and "los.pdf" in page
    href = re.search(r'href="(/messages/[^"]+/folder\.zip\?name=[^"]+)"', page).group(1).replace("&amp;", "&")
    resp = sender.get(href)
    assert "Dossier%2012.zip" in resp.headers["Content-Disposition"]
    archive = read_zip(resp)
    assert {n: archive.read(n) for n in archive.namelist()} == FILES
    assert sender.get(href.split("?")[0] + "?name=Elders").status_code == 404


def test_the_recipient_downloads_the_folder_and_each_file(folder_message, client, worker, new_client, session):
    from zegel.messages.models import Recipient
    link = notification_link(client, worker, "otto@ontvanger.nl")
    otto = new_client()
    otto.post_form(f"{link}/open", {}, token_from=link)
    page = otto.get(f"{link}/read").get_data(as_text=True)
    href = re.search(r'href="(/r/[^"]+/folders/[^"]+\.zip\?name=[^"]+)"', page).group(1).replace("&amp;", "&")
    archive = read_zip(otto.get(href))
    assert sorted(archive.namelist()) == sorted(FILES)
    knie = re.search(r'href="(/r/[^"]+/attachments/[^"]+)"[^>]*>scans/knie\.bin<', page).group(1)
    assert otto.get(knie).data == FILES["Dossier 12/scans/knie.bin"]
    assert otto.get(knie).headers["Content-Disposition"].startswith('attachment; filename="knie.bin"')
    assert session.scalar(select(Recipient.downloads).where(Recipient.email_key == "otto@ontvanger.nl")) == 3
    # Someone without the verified session gets nothing.
    assert new_client().get(href).status_code == 404


@pytest.mark.parametrize("path", ["../../etc/passwd", "Dossier/../../x", "/", "a/" * 30 + "b"])
def test_a_hostile_folder_path_is_refused_and_nothing_is_sent(live, auth, client, worker, session, path):
    from zegel.messages.models import Message
    from zegel.uploads.models import Upload
    upload_id = upload(live, auth, "x", b"data", path)
    sender = logged_in(client, worker)
    resp = compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"}], uploads=[upload_id], expect=400)
    assert "mappad" in resp.get_data(as_text=True) or "bestandsnaam" in resp.get_data(as_text=True)
    assert session.scalar(select(Message.id)) is None
    assert session.get(Upload, upload_id) is not None  # still there, to send again


def test_the_form_comes_back_with_the_finished_uploads(live, auth, client, worker, session):
    from zegel.uploads.models import Upload
    upload_id = upload(live, auth, "verslag.pdf", b"%PDF-1.4 verslag")
    sender = logged_in(client, worker)
    resp = compose(sender, [{"email": "niet-een-adres", "method": "none"}], uploads=[upload_id], expect=400)
    page = resp.get_data(as_text=True)
    assert f'name="upload" value="{upload_id}"' in page and "verslag.pdf" in page
    assert session.get(Upload, upload_id) is not None
    resp = compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"}], uploads=[upload_id])
    assert "verslag.pdf" in sender.get(resp.headers["Location"]).get_data(as_text=True)
    assert session.get(Upload, upload_id) is None  # used up by the message
