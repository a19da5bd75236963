"""POST /api/v1/messages/outlook: the add-in's send stores the message without Zegel's own notification
e-mails and returns the placeholder that Outlook delivers; its link leads each recipient to their check."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import latest_code
from tests.uploads.conftest import auth, live  # noqa: F401  (fixtures)
from tests.uploads.test_folders import upload

pytestmark = pytest.mark.usefixtures("anna")


def test_the_outlook_send_returns_a_placeholder_and_sends_no_notifications(client, worker, auth, live, session,
                                                                          new_client):
    from zegel.audit.models import AuditEvent
    from zegel.delivery.models import OutboxJob
    scan = upload(live, auth, "scan.pdf", b"%PDF-1.4 scan")
    body = {"subject": "Uitslag", "body_html": "<p>Hierbij de uitslag.</p>", "attachments": [scan],
            "recipients": [{"email": "otto@ontvanger.nl", "verification": {"method": "sms", "phone": "0687654321"}}]}
    jobs_before = session.scalar(select(func.count()).select_from(OutboxJob).where(OutboxJob.kind == "email"))
    resp = client.post("/api/v1/messages/outlook", json=body, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    sent = resp.get_json()
    html, text = sent["placeholder_html"], sent["placeholder_text"]
    assert sent["link"] in html and sent["link"] in text
    assert "Anna de Vries (anna@demo.test) heeft je een veilig bericht gestuurd via Zegel." in text
    assert "Uitslag" in html and "Hierbij de uitslag" not in html + text  # the content stays in Zegel
    assert session.scalar(select(func.count()).select_from(OutboxJob).where(OutboxJob.kind == "email")) == jobs_before
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "message.sent"))
    assert event.details["via"] == "outlook"
    # Outlook delivers the placeholder: the sender's overview says notified, not "pending" for ever.
    shown = client.get(f"/api/v1/messages/{sent['id']}", headers=auth).get_json()
    assert shown["recipients"][0]["notified_at"] is not None

    # The placeholder's link: the recipient says who they are and passes the SMS check.
    otto = new_client()
    path = re.search(r"/r/[A-Za-z0-9_-]+", sent["link"]).group(0)
    assert otto.get(path).status_code == 200
    otto.post_form(f"{path}/email", {"email": "otto@ontvanger.nl"}, token_from=path)
    otto.post_form(f"{path}/code", {}, token_from=path)
    code = latest_code(client, worker, "+31687654321")
    assert otto.post_form(f"{path}/verify", {"secret": code}, token_from=path).status_code == 302
    page = otto.get(f"{path}/read").get_data(as_text=True)
    assert "Hierbij de uitslag." in page and "scan.pdf" in page


def test_the_outlook_send_checks_like_any_send(client, auth, session):
    from zegel.messages.models import Message
    for bad in ([], {"recipients": "x"}, {"subject": 5, "recipients": [{"email": "otto@ontvanger.nl"}]},
                {"recipients": [{"email": "geen-adres"}]}):
        assert client.post("/api/v1/messages/outlook", json=bad, headers=auth).status_code == 400
    assert client.post("/api/v1/messages/outlook", json={"recipients": []}).status_code == 401
    assert session.scalar(select(func.count()).select_from(Message)) == 0
