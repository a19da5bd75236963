"""Notification e-mail through a real SMTP server on loopback (aiosmtpd), as the
recipient's mail server, the recipient and the sender see it. SMS still goes to
the dev outbox, so logging in works as everywhere else."""
from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import outbox_items, web_login
from tests.messages.helpers import compose
from tests.smtp_server import REFUSED, SmtpServer
from zegel.clock import utcnow
from zegel.delivery.models import DONE, FAILED, PENDING, OutboxJob
from zegel.messages.models import Recipient

MAIL_FROM = "Zegel <noreply@zegel.test>"
BODY = "Geachte heer, zie bijlage."


@pytest.fixture
def smtp_server(request):
    """Parametrize indirectly with ``{"smtputf8": False}`` for a server without SMTPUTF8."""
    server = SmtpServer(**getattr(request, "param", {}))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def config(make_config, smtp_server):
    """Every app in these tests (and with it ``client``, ``worker`` and ``anna``) mails through the local server."""
    return make_config(ZEGEL_DEV_OUTBOX="1", ZEGEL_SMTP_HOST="127.0.0.1", ZEGEL_SMTP_PORT=str(smtp_server.port),
                       ZEGEL_SMTP_SECURITY="none", ZEGEL_MAIL_FROM=MAIL_FROM)


@pytest.fixture
def sender(anna, client, worker):
    web_login(client, worker)
    return client


def job_for(session, address: str) -> OutboxJob:
    session.expire_all()
    recipient = session.scalar(select(Recipient).where(Recipient.email_key == address))
    return session.get(OutboxJob, recipient.notify_job_id)


def details_row(html: str, address: str) -> str:
    match = re.search(rf'<tr data-recipient="{re.escape(address)}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {address} on the details page"
    return match.group(1)


def details_page(client) -> str:
    sent = client.get("/sent").get_data(as_text=True)
    conv = client.get(re.search(r'href="(/conversations/[^"]+)"', sent).group(1)).get_data(as_text=True)
    url = re.search(r'href="(/messages/[^"]+)"', conv).group(1)
    return client.get(url).get_data(as_text=True)


def test_notifications_go_out_by_smtp_and_their_links_open_the_message(sender, new_client, worker, session,
                                                                       smtp_server):
    compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"},
                     {"email": "yara@ontvanger.nl", "kind": "cc", "method": "password", "password": "lente-2026"}],
            body=BODY)
    assert smtp_server.envelopes == []  # nothing leaves from the request thread
    worker.run_once()

    assert len(smtp_server.envelopes) == 2  # one e-mail per recipient, not one with both in To/Cc
    by_rcpt = {tuple(e.rcpt_tos): e for e in smtp_server.envelopes}
    assert set(by_rcpt) == {("otto@ontvanger.nl",), ("yara@ontvanger.nl",)}
    links = {}
    for (address,), envelope in by_rcpt.items():
        assert envelope.mail_from == "noreply@zegel.test"
        raw = envelope.content.decode("ascii")  # no 8-bit data without BODY=8BITMIME
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert mail.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
        assert mail["From"] == MAIL_FROM
        assert mail["To"] == address and "Cc" not in mail and "Bcc" not in mail
        assert mail["Subject"] == "Veilig bericht van Anna de Vries: Uitslag allergietest"
        # No Reply-To: answering the notification in a mail program must not send the reply in clear.
        assert "Reply-To" not in mail
        assert mail["Auto-Submitted"] == "auto-generated"
        assert mail["Message-ID"].endswith("@zegel.test>") and mail["Date"]
        text = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        link = re.search(r"http://127\.0\.0\.1:5000/r/[A-Za-z0-9_-]+", text).group(0)
        assert f'href="{link}"' in html
        assert "Anna de Vries" in text and "Open het bericht" in text and "Open het bericht" in html
        for secret in ("Geachte heer", "zie bijlage", "lente-2026"):
            assert secret not in raw and secret not in text and secret not in html
        links[address] = link
    assert links["otto@ontvanger.nl"] != links["yara@ontvanger.nl"]
    yara_text = by_rcpt[("yara@ontvanger.nl",)].content.decode("ascii")
    assert "wachtwoord" in email.message_from_string(yara_text, policy=email.policy.default) \
        .get_body(("plain",)).get_content()

    # E-mail went to the SMTP server only; SMS (the login code) still to the dev outbox.
    assert outbox_items(sender, "email") == []
    assert outbox_items(sender, "sms")
    for address in links:
        job = job_for(session, address)
        assert job.status == DONE and job.payload is None and job.attempts == 1

    otto = new_client()
    path = urlsplit(links["otto@ontvanger.nl"]).path
    landing = otto.get(path).get_data(as_text=True)
    assert "Anna de Vries" in landing and "Open het bericht" in landing and BODY not in landing
    resp = otto.post_form(f"{path}/open", {}, token_from=path)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"{path}/read")
    assert BODY in otto.get(f"{path}/read").get_data(as_text=True)

    details = details_page(sender)
    assert "1 van 2 gelezen" in details
    for address in links:
        row = details_row(details, address)
        assert "Niet afgeleverd" not in row and "In behandeling" not in row


def test_refused_recipient_fails_for_good_and_the_sender_sees_it(sender, worker, session, smtp_server):
    compose(sender, [{"email": "otto@ontvanger.nl"}, {"email": REFUSED}])
    worker.run_once()

    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["otto@ontvanger.nl"]]
    refused = job_for(session, REFUSED)
    assert refused.status == FAILED and refused.attempts == 1  # a 5xx answer is not retried
    assert "550" in refused.last_error and refused.payload is None
    assert job_for(session, "otto@ontvanger.nl").status == DONE

    assert worker.run_once() == 0  # nothing left to retry
    details = details_page(sender)
    row = details_row(details, REFUSED)
    assert "Niet afgeleverd" in row and "550" in row  # the reason is in the title
    assert "Niet afgeleverd" not in details_row(details, "otto@ontvanger.nl")


def test_server_down_keeps_the_job_and_delivers_when_it_is_back(sender, worker, session, smtp_server):
    smtp_server.stop()
    compose(sender, [{"email": "otto@ontvanger.nl"}])
    worker.run_once()

    job = job_for(session, "otto@ontvanger.nl")
    assert job.status == PENDING and job.attempts == 1 and job.done_at is None
    assert job.last_error.startswith("mail server unreachable")
    assert job.payload is not None and job.next_attempt_at > utcnow()
    assert "In behandeling" in details_row(details_page(sender), "otto@ontvanger.nl")

    smtp_server.start()
    assert worker.run_once() == 0  # not before its backoff
    with time_machine.travel(job.next_attempt_at + timedelta(seconds=1)):
        assert worker.run_once() == 1
    job = job_for(session, "otto@ontvanger.nl")
    assert job.status == DONE and job.attempts == 2 and job.last_error == ""
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["otto@ontvanger.nl"]]


def test_non_ascii_names_and_subjects_travel_7bit_clean(make_user, client, worker, smtp_server):
    """Dutch names and subjects have diacritics; the mail must not rely on 8-bit transport (RFC 6152)."""
    make_user("zoe@demo.test", "+31612345673", name="Zoë Ëlsinga")
    web_login(client, worker, email="zoe@demo.test", phone="+31612345673")
    compose(client, [{"email": "otto@ontvanger.nl"}], subject="Uitslag – één pagina")
    worker.run_once()

    (envelope,) = smtp_server.envelopes
    assert not any(o.upper() in ("BODY=8BITMIME", "SMTPUTF8") for o in envelope.mail_options)
    envelope.content.decode("ascii")  # raises if any 8-bit byte went over the wire
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert mail["Subject"] == "Veilig bericht van Zoë Ëlsinga: Uitslag – één pagina"
    assert "Zoë Ëlsinga (zoe@demo.test)" in mail.get_body(("plain",)).get_content()
    assert "Zoë Ëlsinga" in mail.get_body(("html",)).get_content()
    for part in mail.iter_parts():
        assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64", "7bit")


@pytest.mark.parametrize("smtp_server", [{"smtputf8": False}], indirect=True)
def test_internationalised_domain_is_sent_in_its_ascii_form(sender, worker, session, smtp_server):
    """An IDN domain needs no SMTPUTF8: its xn-- form works with every mail server."""
    compose(sender, [{"email": "otto@bücher.nl"}])
    worker.run_once()

    assert job_for(session, "otto@bücher.nl").status == DONE
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["otto@xn--bcher-kva.nl"]
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert mail["To"] == "otto@xn--bcher-kva.nl"


@pytest.mark.parametrize("smtp_server", [{"smtputf8": False}], indirect=True)
def test_non_ascii_mailbox_without_smtputf8_fails_for_good(sender, worker, session, smtp_server):
    """A server without SMTPUTF8 can never take jöran@…: no hour of retries as if it were down."""
    compose(sender, [{"email": "jöran@ontvanger.nl"}])
    worker.run_once()

    job = job_for(session, "jöran@ontvanger.nl")
    assert job.status == FAILED and job.attempts == 1 and "SMTPUTF8" in job.last_error
    assert smtp_server.envelopes == []
    assert "Niet afgeleverd" in details_row(details_page(sender), "jöran@ontvanger.nl")


def test_non_ascii_mailbox_with_smtputf8_is_delivered(sender, worker, session, smtp_server):
    compose(sender, [{"email": "jöran@ontvanger.nl"}])
    worker.run_once()

    assert job_for(session, "jöran@ontvanger.nl").status == DONE
    (envelope,) = smtp_server.envelopes
    assert envelope.rcpt_tos == ["jöran@ontvanger.nl"] and "SMTPUTF8" in envelope.mail_options
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert mail["To"] == "jöran@ontvanger.nl"
    assert mail["Subject"] == "Veilig bericht van Anna de Vries: Uitslag allergietest"
