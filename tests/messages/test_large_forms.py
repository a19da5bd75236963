"""The web compose form without JavaScript takes files of up to 25 MB; a body that large is read only
for a signed-in user (everybody else gets 413 before anything is parsed)."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.messages.helpers import compose, logged_in


def test_a_signed_in_user_sends_a_file_of_several_mb_from_the_plain_form(client, worker, anna, session):
    from zegel.messages.models import Attachment
    sender = logged_in(client, worker)
    data = b"%PDF-1.4 " + bytes(range(256)) * (12 * 1024 * 4)  # 12 MB
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"}],
            files=[(io.BytesIO(data), "scan.pdf")])
    assert session.scalar(select(Attachment.size)) == len(data)


def test_a_stranger_cannot_make_the_server_read_a_large_form(new_client, session):
    from zegel.messages.models import Message
    stranger = new_client()
    resp = stranger.post("/compose", content_type="multipart/form-data",
                         data={"subject": "x", "attachments": [(io.BytesIO(b"x" * (3 * 1024 * 1024)), "a.bin")]})
    assert resp.status_code == 413
    assert session.scalar(select(func.count()).select_from(Message)) == 0
