"""Replies from the mailbox, expiry, the sender's audit trail and its CSV export."""
from __future__ import annotations

import csv
import io
import re

import pytest
import time_machine
from sqlalchemy import select

from tests.messages.helpers import compose, logged_in, notification_link

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("anna")]


def test_internal_recipient_reads_in_the_mailbox_and_replies(client, new_client, worker, bram, session):
    from zegel.messages.models import Recipient
    anna = logged_in(client, worker)
    compose(anna, [{"email": "bram@demo.test", "method": "account"}], subject="Overdracht", body="Zie dossier.")
    bram_client = logged_in(new_client(), worker, email="bram@demo.test", phone="+31612345672")
    inbox = bram_client.get("/inbox").get_data(as_text=True)
    assert "Overdracht" in inbox and "Anna de Vries" in inbox
    conv_url = re.search(r'href="(/conversations/[^"]+)"', inbox).group(1)
    page = bram_client.get(conv_url).get_data(as_text=True)
    assert "Zie dossier." in page
    assert session.scalar(select(Recipient.first_read_at)) is not None  # opening it is the read receipt

    reply_url = re.search(r'href="(/compose\?reply_to=[^"]+)"', page).group(1)
    form = bram_client.get(reply_url).get_data(as_text=True)
    assert 'value="Re: Overdracht"' in form and 'value="anna@demo.test"' in form
    message_id = reply_url.split("=")[1]
    data = {"subject": "Re: Overdracht", "body_text": "Ontvangen, dank.", "rows": "1", "reply_to": message_id,
            "r0_email": "anna@demo.test", "r0_kind": "to", "r0_method": "account"}
    assert bram_client.post_form("/compose", data, token_from=reply_url).status_code == 302
    page = anna.get(conv_url).get_data(as_text=True)
    assert "Zie dossier." in page and "Ontvangen, dank." in page


def test_a_message_expires_at_the_end_of_the_chosen_day(client, new_client, worker):
    with time_machine.travel("2026-12-01 10:00:00+00:00", tick=False) as clock:
        anna = logged_in(client, worker)
        data = {"subject": "Tijdelijk", "body_text": "Kort beschikbaar.", "rows": "1", "expires": "2026-11-30",
                "r0_email": "otto@ontvanger.nl", "r0_kind": "to", "r0_method": "none"}
        resp = anna.post_form("/compose", data)
        assert resp.status_code == 400 and "in de toekomst" in resp.get_data(as_text=True)
        data["expires"] = "2026-12-02"
        assert anna.post_form("/compose", data).status_code == 302
        link = notification_link(anna, worker, "otto@ontvanger.nl")
        otto = new_client()
        otto.post_form(f"{link}/open", {}, token_from=link)
        assert "Kort beschikbaar." in otto.get(f"{link}/read").get_data(as_text=True)
        clock.move_to("2026-12-02 22:59:58+00:00")  # 23:59:58 in Amsterdam (the portal session ran out)
        otto.post_form(f"{link}/open", {}, token_from=link)
        assert "Kort beschikbaar." in otto.get(f"{link}/read").get_data(as_text=True)
        clock.move_to("2026-12-02 23:00:01+00:00")
        page = otto.get(f"{link}/read").get_data(as_text=True)
        assert "Dit bericht is verlopen" in page and "Kort beschikbaar." not in page
        assert "Dit bericht is verlopen" in otto.get(link).get_data(as_text=True)


def test_the_sender_sees_and_exports_the_trail(client, new_client, worker, session):
    from zegel.messages.models import Message
    anna = logged_in(client, worker)
    compose(anna, [{"email": "yara@ontvanger.nl", "method": "password", "password": "lente-2026"}])
    link = notification_link(anna, worker, "yara@ontvanger.nl")
    yara = new_client()
    yara.post_form(f"{link}/verify", {"secret": "fout-fout"}, token_from=link)
    yara.post_form(f"{link}/verify", {"secret": "lente-2026"}, token_from=link)
    yara.get(f"{link}/read")
    message = session.scalar(select(Message))
    page = anna.get(f"/messages/{message.id}").get_data(as_text=True)
    for label in ("Verzonden", "Notificatie afgeleverd", "Controle mislukt", "Gecontroleerd", "Geopend"):
        assert label in page
    resp = anna.get(f"/messages/{message.id}/audit.csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["action"] for r in rows] == ["message.sent", "notification.delivered", "portal.verify_failed",
                                           "portal.verified", "portal.read"]
    assert {r["recipient"] for r in rows[1:]} == {"yara@ontvanger.nl"}


def test_only_the_sender_gets_the_trail(client, new_client, worker, session, bram):
    from zegel.messages.models import Message
    anna = logged_in(client, worker)
    compose(anna, [{"email": "bram@demo.test", "method": "account"}])
    message = session.scalar(select(Message))
    bram_client = logged_in(new_client(), worker, email="bram@demo.test", phone="+31612345672")
    assert bram_client.get(f"/messages/{message.id}/audit.csv").status_code == 403
    assert "Geschiedenis" not in bram_client.get(f"/messages/{message.id}").get_data(as_text=True)


def test_revoking_an_account_recipient_hides_the_content_in_their_mailbox(client, new_client, worker, bram,
                                                                            session):
    import io

    from zegel.messages.models import Message, Recipient
    anna = logged_in(client, worker)
    compose(anna, [{"email": "bram@demo.test", "method": "account"}, {"email": "otto@ontvanger.nl", "kind": "bcc"}],
            subject="Dossier", body="Vertrouwelijke inhoud.", files=[(io.BytesIO(b"dossier"), "dossier.txt")])
    message = session.scalar(select(Message))
    bram_row = session.scalar(select(Recipient).where(Recipient.email_key == "bram@demo.test"))
    bram_client = logged_in(new_client(), worker, email="bram@demo.test", phone="+31612345672")
    conv = f"/conversations/{message.conversation_id}"
    page = bram_client.get(conv).get_data(as_text=True)
    assert "Vertrouwelijke inhoud." in page and "otto@ontvanger.nl" not in page  # Bcc stays hidden
    download = re.search(r'href="(/messages/[^"]+/attachments/[^"]+)"', page).group(1)
    assert bram_client.get(download).data == b"dossier"
    assert bram_client.get(f"/messages/{message.id}").status_code == 404  # the details (with Bcc) are the sender's

    anna.post_form(f"/messages/{message.id}/recipients/{bram_row.id}/revoke", {}, token_from=f"/messages/{message.id}")
    page = bram_client.get(conv).get_data(as_text=True)
    assert "Dit bericht is ingetrokken" in page and "Vertrouwelijke inhoud." not in page
    assert bram_client.get(download).status_code == 404
    details = anna.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Bijlage gedownload" in details


def test_restoring_access_lifts_a_lock(client, new_client, worker, session):
    from zegel.messages.models import Message, Recipient
    anna = logged_in(client, worker)
    compose(anna, [{"email": "yara@ontvanger.nl", "method": "password", "password": "lente-2026"}])
    link = notification_link(anna, worker, "yara@ontvanger.nl")
    yara = new_client()
    for _ in range(10):
        yara.post_form(f"{link}/verify", {"secret": "fout-fout"}, token_from=link)
    assert "geblokkeerd" in yara.get(link).get_data(as_text=True)
    message = session.scalar(select(Message))
    row = session.scalar(select(Recipient))
    details = anna.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "Geblokkeerd" in details and "Toegang herstellen" in details
    anna.post_form(f"/messages/{message.id}/recipients/{row.id}/restore", {}, token_from=f"/messages/{message.id}")
    assert yara.post_form(f"{link}/verify", {"secret": "lente-2026"}, token_from=link).status_code == 302


def test_restoring_access_gives_sms_codes_back(client, new_client, worker, session):
    from datetime import timedelta

    import time_machine

    from zegel.clock import utcnow
    from zegel.messages.models import Message, Recipient
    anna = logged_in(client, worker)
    compose(anna, [{"email": "otto@ontvanger.nl", "method": "sms", "phone": "0687654321"}])
    link = notification_link(anna, worker, "otto@ontvanger.nl")
    otto = new_client()
    with time_machine.travel(utcnow(), tick=False) as clock:
        for _ in range(5):
            assert otto.post_form(f"{link}/code", {}, token_from=link).status_code == 302
            clock.shift(timedelta(seconds=31))
        assert otto.post_form(f"{link}/code", {}, token_from=link).status_code == 429
        message, row = session.scalar(select(Message)), session.scalar(select(Recipient))
        anna.post_form(f"/messages/{message.id}/recipients/{row.id}/revoke", {}, token_from=f"/messages/{message.id}")
        anna.post_form(f"/messages/{message.id}/recipients/{row.id}/restore", {}, token_from=f"/messages/{message.id}")
        assert otto.post_form(f"{link}/code", {}, token_from=link).status_code == 302
