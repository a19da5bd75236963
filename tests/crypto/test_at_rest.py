"""What is on disk: no plaintext in the database or the blob store, integrity on tampering, key rotation."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.messages.helpers import compose, logged_in

MARKER = "ZEGEL-MARKER-7f3a9c"
pytestmark = pytest.mark.usefixtures("anna")


def all_bytes_under(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.rglob("*") if p.is_file())


def test_a_marker_in_subject_body_and_attachment_is_nowhere_at_rest(client, worker, config, database_url):
    sender = logged_in(client, worker)
    compose(sender, [{"email": "otto@ontvanger.nl"}], subject=f"Onderwerp {MARKER}", body=f"Tekst {MARKER}",
            files=[(io.BytesIO(f"bijlage {MARKER}".encode() * 1000), f"naam-{MARKER}.txt")])
    worker.run_once()
    # The notification carries the subject by design, so the delivered job's payload is wiped and the
    # dev outbox (a development aid) is emptied before looking.
    with client.application.app_context():
        from zegel.delivery.models import DevOutboxItem
        from zegel.extensions import db
        db.session.query(DevOutboxItem).delete()
        db.session.commit()
    from zegel.db import Database
    Database.engine_for(client.application).dispose()
    needle = MARKER.encode()
    db_file = Path(database_url.removeprefix("sqlite:///"))
    for path in db_file.parent.glob(db_file.name + "*"):
        assert needle not in path.read_bytes(), path
    blobs = all_bytes_under(config.var_dir / "blobs")
    assert blobs and needle not in blobs


def test_tampered_ciphertext_gives_an_integrity_error(client, new_client, worker, session):
    from zegel.messages.models import Message
    sender = logged_in(client, worker)
    compose(sender, [{"email": "otto@ontvanger.nl"}])
    message = session.scalar(select(Message))
    flipped = message.body_ct[:-1] + bytes([message.body_ct[-1] ^ 1])
    session.execute(update(Message).values(body_ct=flipped))
    resp = sender.get(f"/conversations/{message.conversation_id}")
    assert resp.status_code == 500 and "beschadigd" in resp.get_data(as_text=True)
    assert "Geachte heer" not in resp.get_data(as_text=True)


def test_ciphertext_moved_between_messages_does_not_open(client, worker, session):
    from zegel.messages.models import Message
    sender = logged_in(client, worker)
    compose(sender, [{"email": "otto@ontvanger.nl"}], body="eerste")
    compose(sender, [{"email": "otto@ontvanger.nl"}], body="tweede")
    first, second = session.scalars(select(Message).order_by(Message.created_at)).all()
    session.execute(update(Message).where(Message.id == second.id).values(
        body_ct=first.body_ct, kek_id=first.kek_id, wrapped_dek=first.wrapped_dek))
    resp = sender.get(f"/conversations/{second.conversation_id}")
    assert resp.status_code == 500 and "eerste" not in resp.get_data(as_text=True)


def zegel(env, *args):
    return subprocess.run([sys.executable, "-m", "zegel.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_rotation_and_rewrap_keep_every_message_readable(client, new_client, worker, session, make_config,
                                                         database_url, tmp_path):
    import shutil

    from zegel.app import create_app
    from zegel.crypto.keyring import Keyring
    from zegel.messages.models import Message
    keyring_path = tmp_path / "own-keyring.json"
    shutil.copy(make_config().keyring_path, keyring_path)
    env = {**os.environ, "ZEGEL_DATABASE_URL": database_url, "ZEGEL_KEYRING_PATH": str(keyring_path),
           "ZEGEL_DEV_OUTBOX": "1", "ZEGEL_VAR_DIR": str(tmp_path)}
    app = create_app(make_config(ZEGEL_KEYRING_PATH=str(keyring_path)), Keyring.load(keyring_path))
    from tests.conftest import Browserish
    from zegel.delivery.worker import Worker
    sender, app_worker = Browserish(app.test_client()), Worker(app)
    logged_in(sender, app_worker)
    compose(sender, [{"email": "otto@ontvanger.nl"}], body="voor de rotatie",
            files=[(io.BytesIO(b"oud bestand"), "oud.txt")])

    rotated = zegel(env, "keys", "rotate")
    assert rotated.returncode == 0 and "KEK 2 is now active" in rotated.stdout
    compose(sender, [{"email": "otto@ontvanger.nl"}], body="na de rotatie")  # the running app picks up KEK 2
    assert sorted(session.scalars(select(Message.kek_id))) == [1, 2]
    refused = zegel(env, "keys", "retire", "1")
    assert refused.returncode == 1 and "still wraps 1" in refused.stderr

    body_before = session.scalar(select(Message.body_ct).where(Message.kek_id == 1))
    rewrapped = zegel(env, "keys", "rewrap")
    assert rewrapped.returncode == 0 and "re-wrapped 1 data keys under KEK 2" in rewrapped.stdout
    session.expire_all()
    assert sorted(session.scalars(select(Message.kek_id))) == [2, 2]
    assert body_before in list(session.scalars(select(Message.body_ct)))  # payloads untouched
    assert zegel(env, "keys", "retire", "1").returncode == 0
    listing = zegel(env, "keys", "list").stdout
    assert "KEK 2  active" in listing and "KEK 1" not in listing

    fresh = create_app(make_config(ZEGEL_KEYRING_PATH=str(keyring_path)), Keyring.load(keyring_path))
    reader = Browserish(fresh.test_client())
    logged_in(reader, Worker(fresh))
    sent = reader.get("/sent").get_data(as_text=True)
    for url in re.findall(r'href="(/conversations/[^"]+)"', sent):
        page = reader.get(url).get_data(as_text=True)
        assert "de rotatie" in page
        for href in re.findall(r'href="(/messages/[^"]+/attachments/[^"]+)"', page):
            assert reader.get(href).data == b"oud bestand"
