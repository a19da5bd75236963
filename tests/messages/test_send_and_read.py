"""A secure message from the web mailbox to outside recipients, as sender, recipient and attacker see it."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import outbox_items
from tests.messages.helpers import compose, logged_in, notification_link, sms_code
from zegel.clock import utcnow

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("anna")]
PDF = b"%PDF-1.4 allergietest " + bytes(range(256)) * 500


@pytest.fixture
def sender(client, worker):
    return logged_in(client, worker)


def test_send_notify_verify_read_download_reply(sender, new_client, worker, session):
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "sms", "phone": "06 87654321"},
                     {"email": "yara@ontvanger.nl", "method": "password", "password": "lente-2026"}],
            files=[(io.BytesIO(PDF), "uitslag allergietest.pdf")])
    mail = next(i for i in reversed(outbox_items(sender, "email")) if i["to"] == "otto@ontvanger.nl") \
        if outbox_items(sender, "email") else None
    assert mail is None  # nothing is sent from the request thread
    link = notification_link(sender, worker, "otto@ontvanger.nl")
    mail = next(i for i in outbox_items(sender, "email") if i["to"] == "otto@ontvanger.nl")
    assert "Anna de Vries" in mail["subject"] and "Uitslag allergietest" in mail["subject"]
    assert "Geachte heer" not in mail["text"] + mail["html"]  # no content in the notification
    assert "eindigt op 21" in mail["text"]

    otto = new_client()
    page = otto.get(link).get_data(as_text=True)
    assert "Anna de Vries" in page and "Stuur mij een sms-code" in page and "Geachte heer" not in page
    worker.run_once()
    assert not [s for s in outbox_items(sender, "sms") if s["to"] == "+31687654321"]  # GET sent nothing

    otto.post_form(f"{link}/code", {}, token_from=link)
    code = sms_code(sender, worker, "+31687654321")
    resp = otto.post_form(f"{link}/verify", {"secret": code}, token_from=link)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/read")
    page = otto.get(f"{link}/read").get_data(as_text=True)
    assert "Geachte heer, zie bijlage." in page and "uitslag allergietest.pdf" in page

    href = re.search(r'href="(/r/[^"]+/attachments/[^"]+)"', page).group(1)
    download = otto.get(href)
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"uitslag allergietest.pdf\"; filename*=UTF-8''uitslag%20allergietest.pdf")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    resp = otto.post_form(f"{link}/reply", {"body_text": "Dank u, ik bel de huisarts."}, token_from=f"{link}/read",
                          content_type="multipart/form-data")
    assert resp.status_code == 302

    sent = sender.get("/sent").get_data(as_text=True)
    assert "Uitslag allergietest" in sent
    conv_url = re.search(r'href="(/conversations/[^"]+)"', sent).group(1)
    conv = sender.get(conv_url).get_data(as_text=True)
    assert "Dank u, ik bel de huisarts." in conv and "otto@ontvanger.nl" in conv
    reply_url = re.search(r'href="(/compose\?reply_to=[^"]+)"', conv).group(1)
    form = sender.get(reply_url).get_data(as_text=True)  # answering Otto keeps his SMS verification
    assert 'value="otto@ontvanger.nl"' in form and 'value="+31687654321"' in form
    method_select = re.search(r'name="r0_method".*?</select>', form, re.S).group(0)
    assert re.search(r'<option value="sms"\s+selected>', method_select)
    details_url = re.search(r'href="(/messages/[^"]+)"', conv).group(1)
    details = sender.get(details_url).get_data(as_text=True)
    assert "1 van 2 gelezen" in details
    worker.run_once()
    assert any(i["to"] == "anna@demo.test" and "otto@ontvanger.nl" in i["subject"]
               for i in outbox_items(sender, "email"))  # the sender is told about the reply


def test_link_get_alone_changes_nothing(sender, new_client, worker, session):
    from zegel.messages.models import Recipient
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"}])
    link = notification_link(sender, worker, "otto@ontvanger.nl")
    scanner = new_client()
    for _ in range(3):
        assert scanner.get(link).status_code == 200
        assert scanner.get(f"{link}/read").status_code == 302  # not opened without the click
    assert session.scalar(select(Recipient.first_read_at)) is None
    scanner.post_form(f"{link}/open", {}, token_from=link)
    assert "Geachte heer" in scanner.get(f"{link}/read").get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Recipient.first_read_at)) is not None


def test_wrong_passwords_lock_the_recipient(sender, new_client, worker):
    compose(sender, [{"email": "yara@ontvanger.nl", "method": "password", "password": "lente-2026"}])
    link = notification_link(sender, worker, "yara@ontvanger.nl")
    yara = new_client()
    for _ in range(9):
        resp = yara.post_form(f"{link}/verify", {"secret": "zomer-2026"}, token_from=link)
        assert resp.status_code == 400 and "niet juist" in resp.get_data(as_text=True)
    resp = yara.post_form(f"{link}/verify", {"secret": "zomer-2026"}, token_from=link)
    assert resp.status_code == 403 and "Neem contact op met de afzender" in resp.get_data(as_text=True)
    resp = yara.post_form(f"{link}/verify", {"secret": "lente-2026"}, token_from=link)
    assert resp.status_code == 403
    assert yara.get(f"{link}/read").status_code == 302


def test_sms_code_expires_and_has_five_tries(sender, new_client, worker):
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "sms", "phone": "0687654321"}])
    link = notification_link(sender, worker, "otto@ontvanger.nl")
    otto = new_client()
    with time_machine.travel(utcnow(), tick=False) as clock:
        otto.post_form(f"{link}/code", {}, token_from=link)
        code = sms_code(sender, worker, "+31687654321")
        clock.shift(timedelta(minutes=11))
        resp = otto.post_form(f"{link}/verify", {"secret": code}, token_from=link)
        assert resp.status_code == 400 and "verlopen" in resp.get_data(as_text=True)
        otto.post_form(f"{link}/code", {}, token_from=link)
        code = sms_code(sender, worker, "+31687654321")
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            otto.post_form(f"{link}/verify", {"secret": wrong}, token_from=link)
        resp = otto.post_form(f"{link}/verify", {"secret": code}, token_from=link)
        assert resp.status_code == 400 and "Vraag een nieuwe code aan" in resp.get_data(as_text=True)


def test_revoked_recipient_sees_only_the_notice(sender, new_client, worker, session):
    from zegel.messages.models import Message, Recipient
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"}, {"email": "yara@ontvanger.nl"}],
            files=[(io.BytesIO(b"secret file"), "a.txt")])
    link = notification_link(sender, worker, "yara@ontvanger.nl")
    yara = new_client()
    yara.post_form(f"{link}/open", {}, token_from=link)
    page = yara.get(f"{link}/read").get_data(as_text=True)
    href = re.search(r'href="(/r/[^"]+/attachments/[^"]+)"', page).group(1)

    message = session.scalar(select(Message))
    yara_row = session.scalar(select(Recipient).where(Recipient.email_key == "yara@ontvanger.nl"))
    resp = sender.post_form(f"/messages/{message.id}/recipients/{yara_row.id}/revoke", {},
                            token_from=f"/messages/{message.id}")
    assert resp.status_code == 302
    page = yara.get(f"{link}/read").get_data(as_text=True)
    assert "Dit bericht is ingetrokken" in page and "Geachte heer" not in page
    assert yara.get(href).status_code == 404
    assert "Dit bericht is ingetrokken" in yara.get(link).get_data(as_text=True)

    sender.post_form(f"/messages/{message.id}/recipients/{yara_row.id}/restore", {},
                     token_from=f"/messages/{message.id}")
    assert "Geachte heer" in yara.get(f"{link}/read").get_data(as_text=True)


def test_another_users_message_is_404(sender, new_client, worker, session, bram):
    from zegel.messages.models import Message
    compose(sender, [{"email": "otto@ontvanger.nl"}], files=[(io.BytesIO(b"x"), "a.txt")])
    message = session.scalar(select(Message))
    attachment = message.attachments[0]
    intruder = logged_in(new_client(), worker, email="bram@demo.test", phone="+31612345672")
    for url in (f"/conversations/{message.conversation_id}", f"/messages/{message.id}",
                f"/messages/{message.id}/attachments/{attachment.id}"):
        assert intruder.get(url).status_code == 404
    resp = intruder.post_form(f"/messages/{message.id}/revoke", {}, token_from="/inbox")
    assert resp.status_code == 404
    assert new_client().get("/r/not-a-real-link").status_code == 404


def test_message_level_link_asks_for_the_address(app, session, anna, new_client, worker, client):
    from urllib.parse import urlsplit

    from zegel.messages.service import RecipientInput, send_message
    with app.app_context():
        sent = send_message(session, anna, recipients=[
            RecipientInput("otto@ontvanger.nl"),
            RecipientInput("yara@ontvanger.nl", "bcc", "sms", "0687654321")], subject="Verwijzing",
            body_html="<p>Geachte heer</p>")
    worker.run_once()
    link = urlsplit(sent.link).path  # the one link for all recipients (the Outlook placeholder's)
    reader = new_client()
    page = reader.get(link).get_data(as_text=True)
    assert "Je e-mailadres" in page and "otto@ontvanger.nl" not in page and "yara" not in page
    resp = reader.post_form(f"{link}/email", {"email": "someone@else.nl"}, token_from=link)
    assert resp.status_code == 400
    assert reader.get(f"{link}/read").status_code == 302

    # Anyone with this link could type Otto's address: for "Geen" his mailbox gets a fresh personal link.
    page = reader.post_form(f"{link}/email", {"email": "Otto@Ontvanger.nl"}, token_from=link).get_data(as_text=True)
    assert "Kijk in je e-mail" in page and "Geachte heer" not in page
    assert reader.post_form(f"{link}/open", {}, token_from=link).status_code == 302
    assert reader.get(f"{link}/read").status_code == 302  # still not open
    personal = notification_link(client, worker, "otto@ontvanger.nl")
    otto = new_client()
    otto.post_form(f"{personal}/open", {}, token_from=personal)
    assert "Geachte heer" in otto.get(f"{personal}/read").get_data(as_text=True)

    # Yara (Bcc, SMS) gets her own check after typing her address.
    yara = new_client()
    yara.post_form(f"{link}/email", {"email": "yara@ontvanger.nl"}, token_from=link)
    assert "Stuur mij een sms-code" in yara.get(link).get_data(as_text=True)
    yara.post_form(f"{link}/code", {}, token_from=link)
    code = sms_code(client, worker, "+31687654321")
    yara.post_form(f"{link}/verify", {"secret": code}, token_from=link)
    assert "Geachte heer" in yara.get(f"{link}/read").get_data(as_text=True)


@pytest.mark.parametrize("recipient,error", [
    ({"email": "not-an-address"}, "geldig e-mailadres"),
    ({"email": "otto@ontvanger.nl", "method": "sms", "phone": "020 1234567"}, "mobiel nummer"),
    ({"email": "otto@ontvanger.nl", "method": "password", "password": "kort"}, "minstens 8 tekens"),
    ({"email": "otto@ontvanger.nl", "method": "account"}, "geen Zegel-account"),
])
def test_bad_recipients_are_refused_and_nothing_is_stored(sender, worker, session, recipient, error):
    from zegel.messages.models import Message
    resp = compose(sender, [recipient], expect=400)
    assert error in resp.get_data(as_text=True)
    assert session.scalar(select(Message)) is None
    worker.run_once()
    assert outbox_items(sender, "email") == []


def test_subject_with_a_newline_is_refused(sender):
    resp = compose(sender, [{"email": "otto@ontvanger.nl"}], subject="Hallo\r\nBcc: everyone@evil", expect=400)
    assert "één regel" in resp.get_data(as_text=True)


def test_scripts_in_the_body_are_removed(sender, new_client, worker, session):
    data = {"subject": "x", "body_html": '<p onclick="x()">Hoi<script>alert(1)</script><a href="javascript:x">k</a></p>',
            "rows": "1", "r0_email": "otto@ontvanger.nl", "r0_method": "none", "r0_kind": "to"}
    sender.post_form("/compose", data)
    link = notification_link(sender, worker, "otto@ontvanger.nl")
    otto = new_client()
    otto.post_form(f"{link}/open", {}, token_from=link)
    page = otto.get(f"{link}/read").get_data(as_text=True)
    assert "Hoi" in page and "<script>" not in page and "onclick" not in page and "javascript:" not in page


def test_defaults_are_remembered_per_recipient(sender, worker):
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "sms", "phone": "0687654321", "default": True}])
    info = sender.get("/compose/recipient?email=otto@ontvanger.nl").get_json()
    assert info == {"has_account": False, "default": {"method": "sms", "phone": "+31687654321"}}
    assert sender.get("/compose/recipient?email=bram@demo.test").get_json()["has_account"] is False


@pytest.mark.parametrize("rows", ["abc", "-1", "", "99999"])
def test_a_tampered_row_count_is_no_500(sender, rows):
    data = {"subject": "x", "body_text": "y", "rows": rows, "r0_email": "otto@ontvanger.nl", "r0_method": "none",
            "r0_kind": "to"}
    resp = sender.post_form("/compose", data)
    assert resp.status_code == 302


def test_codes_per_sender_are_capped(sender, new_client, worker, monkeypatch):
    from zegel.portal import service as portal
    monkeypatch.setattr(portal, "SENDER_CODES_PER_HOUR", 2)  # the real cap is 200; the rule is what counts
    recipients = [{"email": f"r{i}@ontvanger.nl", "method": "sms", "phone": "0687654321"} for i in range(3)]
    compose(sender, recipients)
    links = [notification_link(sender, worker, r["email"]) for r in recipients]
    reader = new_client()
    for link in links[:2]:
        assert reader.post_form(f"{link}/code", {}, token_from=link).status_code == 302
    resp = reader.post_form(f"{links[2]}/code", {}, token_from=links[2])
    assert resp.status_code == 429 and "te veel codes aangevraagd" in resp.get_data(as_text=True)
