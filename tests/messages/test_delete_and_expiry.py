"""A deleted message takes its files with it; an expired message's files are deleted by the clean-up,
and what storage refuses at that moment is retried later, never forgotten."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.messages.helpers import compose, logged_in, notification_link
from tests.uploads.conftest import auth, live  # noqa: F401  (fixtures)
from tests.uploads.test_folders import upload

pytestmark = [pytest.mark.usefixtures("anna"), pytest.mark.database]  # cascades and locks differ per database


def blob_files(config) -> list[str]:
    root = config.var_dir / "blobs"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def sent_message(sender, **kw) -> tuple[str, str]:
    """(conversation page, details url) of a new message to Otto with a form attachment."""
    resp = compose(sender, [{"email": "otto@ontvanger.nl"}], files=[(io.BytesIO(b"%PDF scan"), "scan.pdf")], **kw)
    page = sender.get(resp.headers["Location"]).get_data(as_text=True)
    return page, re.search(r'href="(/messages/[^"/]+)"', page).group(1)


def test_the_sender_deletes_a_message_and_its_files(client, worker, new_client, session, config, live, auth):
    from zegel.audit.models import AuditEvent
    from zegel.messages.models import Attachment, Conversation, Message
    large = upload(live, auth, "groot.bin", b"x" * 300_000)
    sender = logged_in(client, worker)
    resp = compose(sender, [{"email": "otto@ontvanger.nl"}], uploads=[large],
                   files=[(io.BytesIO(b"%PDF scan"), "scan.pdf")])
    page = sender.get(resp.headers["Location"]).get_data(as_text=True)
    details = re.search(r'href="(/messages/[^"/]+)"', page).group(1)
    link = notification_link(client, worker, "otto@ontvanger.nl")
    assert len(blob_files(config)) == 2

    resp = sender.post_form(f"{details}/delete", {}, token_from=details)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/sent")
    assert blob_files(config) == []
    assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert session.scalar(select(func.count()).select_from(Conversation)) == 0
    assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1)) == "message.deleted"
    otto = new_client()
    assert otto.get(link).status_code == 404
    assert sender.get(details).status_code == 404


def test_only_the_sender_may_delete_and_a_reply_survives(client, worker, new_client, bram, session):
    from zegel.messages.models import Message
    sender = logged_in(client, worker)
    resp = compose(sender, [{"email": "bram@demo.test", "method": "account"}])
    page = sender.get(resp.headers["Location"]).get_data(as_text=True)
    details = re.search(r'href="(/messages/[^"/]+)"', page).group(1)
    message_id = details.rsplit("/", 1)[1]
    other = logged_in(new_client(), worker, email="bram@demo.test", phone="+31612345672")
    assert other.post_form(f"{details}/delete", {}, token_from="/inbox").status_code == 403
    # Bram answers; then Anna deletes her message: Bram's reply stays in the conversation.
    conv_url = resp.headers["Location"].split("?")[0]
    compose(other, [{"email": "anna@demo.test", "method": "account"}], subject="Re: x", body="Antwoord",
            extra={"reply_to": message_id})
    resp = sender.post_form(f"{details}/delete", {}, token_from=details)
    assert resp.headers["Location"].endswith(conv_url)
    assert [m.reply_to_id for m in session.scalars(select(Message))] == [None]
    assert "Antwoord" in sender.get(conv_url).get_data(as_text=True)


def test_the_api_deletes_too(client, worker, auth, session):
    from zegel.messages.models import Message
    body = {"subject": "x", "body_html": "<p>y</p>", "recipients": [{"email": "otto@ontvanger.nl"}]}
    message_id = client.post("/api/v1/messages", json=body, headers=auth).get_json()["id"]
    assert client.delete(f"/api/v1/messages/{message_id}", headers=auth).status_code == 204
    assert client.delete(f"/api/v1/messages/{message_id}", headers=auth).status_code == 404
    assert client.delete(f"/api/v1/messages/{message_id}").status_code == 401
    assert session.get(Message, message_id) is None


def test_when_storage_refuses_the_deletion_is_retried(client, worker, session, config, app, monkeypatch):
    from zegel.housekeeping import clean_up
    from zegel.storage.base import StorageUnavailable
    from zegel.storage.local import LocalBlobStore
    from zegel.storage.models import BlobDeletion
    sender = logged_in(client, worker)
    _page, details = sent_message(sender)

    def down(self, key):
        raise StorageUnavailable("storage down")
    monkeypatch.setattr(LocalBlobStore, "delete", down)
    assert sender.post_form(f"{details}/delete", {}, token_from=details).status_code == 302
    assert len(blob_files(config)) == 1 and session.scalar(select(func.count()).select_from(BlobDeletion)) == 1
    monkeypatch.undo()
    with app.app_context():
        from zegel.extensions import db
        assert clean_up(db.session)["blobs"] == 1
    assert blob_files(config) == [] and session.scalar(select(func.count()).select_from(BlobDeletion)) == 0


def test_files_of_an_expired_message_are_deleted_by_the_clean_up(client, worker, session, config, app):
    from zegel.clock import utcnow
    from zegel.housekeeping import clean_up
    from zegel.messages.models import Message
    sender = logged_in(client, worker)
    page, details = sent_message(sender, extra={"expires": (utcnow() + timedelta(days=2)).date().isoformat()})
    download = re.search(r'href="(/messages/[^"]+/attachments/[^"]+)"', page).group(1)
    with app.app_context():
        from zegel.extensions import db
        assert clean_up(db.session)["attachments"] == 0  # not expired yet
    assert len(blob_files(config)) == 1
    # The expiry date has passed (moved, rather than the clock, so the sender's login stays valid).
    message = session.scalar(select(Message))
    message.expires_at = utcnow() - timedelta(minutes=1)
    session.commit()
    with app.app_context():
        from zegel.extensions import db
        assert clean_up(db.session)["attachments"] == 1
        assert clean_up(db.session)["attachments"] == 0
    assert blob_files(config) == []
    resp = sender.get(download)
    assert resp.status_code == 410 and "verwijderd toen het bericht verliep" in resp.get_data(as_text=True)
    page = sender.get(details).get_data(as_text=True)
    assert "Bestand verwijderd na verlopen" in page  # in the history
    conversation = sender.get(re.search(r'href="(/conversations/[^"]+)"', page).group(1)).get_data(as_text=True)
    assert "scan.pdf" in conversation and "verwijderd na verlopen" in conversation
