"""Attacks on the recipient portal found in review: weak links, races, hostile names and input."""
from __future__ import annotations

import io
import re
import threading

import pytest
from sqlalchemy import select

from tests.messages.helpers import compose, logged_in, notification_link, sms_code

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("anna")]


@pytest.fixture
def sender(client, worker):
    return logged_in(client, worker)


def test_a_weak_link_does_not_open_a_stronger_follow_up(sender, new_client, worker, session):
    from zegel.messages.models import Message
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"}], subject="Afspraak", body="Tot dinsdag.")
    weak = notification_link(sender, worker, "otto@ontvanger.nl")
    first = session.scalar(select(Message))
    data = {"subject": "Re: Afspraak", "body_text": "De uitslag: positief.", "rows": "1", "reply_to": first.id,
            "r0_email": "otto@ontvanger.nl", "r0_kind": "to", "r0_method": "sms", "r0_phone": "0687654321"}
    sender.post_form("/compose", data, content_type="multipart/form-data",
                     token_from=f"/compose?reply_to={first.id}")
    strong = notification_link(sender, worker, "otto@ontvanger.nl")
    assert strong != weak

    attacker = new_client()  # found the first notification in a shared mailbox
    attacker.post_form(f"{weak}/open", {}, token_from=weak)
    page = attacker.get(f"{weak}/read").get_data(as_text=True)
    assert "Tot dinsdag." in page and "positief" not in page and "eigen controle" in page

    otto = new_client()
    otto.post_form(f"{strong}/code", {}, token_from=strong)
    otto.post_form(f"{strong}/verify", {"secret": sms_code(sender, worker, "+31687654321")}, token_from=strong)
    page = otto.get(f"{strong}/read").get_data(as_text=True)
    assert "Tot dinsdag." in page and "positief" in page  # the stronger check covers the weaker message


def test_parallel_wrong_codes_are_each_counted(sender, new_client, worker, session):
    from zegel.messages.models import Recipient
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "sms", "phone": "0687654321"}])
    link = notification_link(sender, worker, "otto@ontvanger.nl")
    otto = new_client()
    otto.post_form(f"{link}/code", {}, token_from=link)
    code = sms_code(sender, worker, "+31687654321")
    wrong = "000000" if code != "000000" else "111111"
    clients = [new_client() for _ in range(12)]
    tokens = [c.csrf(link) for c in clients]
    statuses = []

    def guess(c, token):
        statuses.append(c.post(f"{link}/verify", data={"csrf_token": token, "secret": wrong}).status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.expire_all()
    row = session.scalar(select(Recipient))
    assert row.verify_failures == 5 and row.code_attempts == 5  # not one lost update, and no more than 5 tries
    assert otto.post_form(f"{link}/verify", {"secret": code}, token_from=link).status_code == 400


@pytest.mark.parametrize("name,shown", [
    ("a\r\nSet-Cookie: x=1.txt", "a__Set-Cookie: x=1.txt"),
    ("factuur\u202efdp.exe", "factuur_fdp.exe"),
    ("rapport\u2028.pdf", "rapport_.pdf"),
])
def test_hostile_file_names_are_neutralised_and_still_download(app, session, anna, new_client, worker, client,
                                                               name, shown):
    # Sent through the service: a browser can send such names (filename*=UTF-8''a%0D%0A…), the test client cannot.
    from zegel.messages.service import AttachmentInput, RecipientInput, send_message
    with app.app_context():
        send_message(session, anna, recipients=[RecipientInput("otto@ontvanger.nl")], subject="Bijlage",
                     body_html="<p>zie bijlage</p>", attachments=[AttachmentInput(name, b"inhoud")])
    link = notification_link(client, worker, "otto@ontvanger.nl")
    otto = new_client()
    otto.post_form(f"{link}/open", {}, token_from=link)
    page = otto.get(f"{link}/read").get_data(as_text=True)
    assert shown in page
    href = re.search(r'href="(/r/[^"]+/attachments/[^"]+)"', page).group(1)
    resp = otto.get(href)
    assert resp.status_code == 200 and resp.data == b"inhoud"
    assert "\r" not in resp.headers["Content-Disposition"] and "\n" not in resp.headers["Content-Disposition"]


@pytest.mark.parametrize("subject", ["Uitslag\u2028Bcc: x@evil.nl", "Uitslag\x0bx", "Factuur \u202egpj.exe"])
def test_subjects_with_line_breaks_or_bidi_marks_are_refused(sender, subject):
    resp = compose(sender, [{"email": "otto@ontvanger.nl"}], subject=subject, expect=400)
    assert "één regel" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/conversations/a%00b", "/messages/a%00b", "/messages/a%00b/audit.csv"])
def test_nul_in_an_id_is_a_400(sender, path):
    assert sender.get(path).status_code == 400


def test_a_refused_reply_leaves_nothing_and_shows_nothing(sender, new_client, worker, session):
    from zegel.messages.models import Attachment, Message
    compose(sender, [{"email": "otto@ontvanger.nl"}])
    link = notification_link(sender, worker, "otto@ontvanger.nl")
    otto = new_client()
    otto.post_form(f"{link}/open", {}, token_from=link)
    resp = otto.post_form(f"{link}/reply", {"body_text": "PHANTOM-REPLY", "attachments": [
        (io.BytesIO(b"good"), "good.txt"), (io.BytesIO(b"bad"), "..")]}, token_from=f"{link}/read",
        content_type="multipart/form-data")
    assert resp.status_code == 400 and "PHANTOM-REPLY" not in resp.get_data(as_text=True)
    assert len(session.scalars(select(Message)).all()) == 1 and session.scalar(select(Attachment)) is None


def test_recipients_do_not_see_read_counts_through_the_api(client, new_client, worker, bram):
    from tests.conftest import latest_code
    anna = logged_in(client, worker)
    compose(anna, [{"email": "bram@demo.test", "method": "account"}, {"email": "hidden@ontvanger.nl", "kind": "bcc"}])
    api = new_client()
    challenge = api.post("/api/v1/auth/login", json={"email": "bram@demo.test", "password": "zegel-demo-2026"}).get_json()
    code = latest_code(api, worker, "+31612345672")
    token = api.post("/api/v1/auth/verify", json={"challenge_id": challenge["challenge_id"], "code": code}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    inbox = api.get("/api/v1/conversations", headers=headers).get_json()["items"]
    assert inbox[0]["read_status"] is None
    message = api.get(f"/api/v1/messages/{inbox[0]['last_message_id']}", headers=headers).get_json()
    assert message["read_status"] is None and message["recipients"] == []
