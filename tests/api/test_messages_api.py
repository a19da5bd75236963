"""The add-in's message API, checked against the OpenAPI document."""
from __future__ import annotations

import pytest

from tests.api.test_auth_api import call
from tests.messages.helpers import notification_link

pytestmark = pytest.mark.usefixtures("anna")


def test_send_read_status_and_revoke(client, api, worker, token, new_client):
    body = {"subject": "Verwijzing", "body_html": "<p>Zie <b>verwijzing</b><script>x()</script></p>",
            "recipients": [{"email": "otto@ontvanger.nl", "verification": {"method": "none"}},
                           {"email": "yara@ontvanger.nl", "type": "cc",
                            "verification": {"method": "sms", "phone": "0687654321"}, "remember": True}]}
    sent = call(client, api, "POST", "/messages", body, token=token, expect=201).get_json()
    assert sent["link"].startswith("http://127.0.0.1:5000/r/")
    assert [r["method"] for r in sent["recipients"]] == ["none", "sms"]

    message = call(client, api, "GET", f"/messages/{sent['id']}", token=token, expect=200).get_json()
    assert message["body_html"] == "<p>Zie <b>verwijzing</b></p>"
    assert message["read_status"] == {"read": 0, "total": 2}

    link = notification_link(client, worker, "otto@ontvanger.nl")
    otto = new_client()
    otto.post_form(f"{link}/open", {}, token_from=link)
    otto.get(f"{link}/read")
    message = call(client, api, "GET", f"/messages/{sent['id']}", token=token, expect=200).get_json()
    assert message["read_status"] == {"read": 1, "total": 2}
    assert message["recipients"][0]["read_at"] and message["recipients"][0]["notified_at"]

    inbox = call(client, api, "GET", "/conversations", token=token, expect=200)
    sent_list = client.get("/api/v1/conversations?folder=sent", headers={"Authorization": f"Bearer {token}"})
    api.check("GET", "/conversations", sent_list)
    assert [c["subject"] for c in sent_list.get_json()["items"]] == ["Verwijzing"]
    assert inbox.get_json()["items"] == []  # nothing received

    yara = sent["recipients"][1]["id"]
    revoked = call(client, api, "POST", f"/messages/{sent['id']}/recipients/{yara}/revoke", token=token,
                   expect=200).get_json()
    assert [r["revoked"] for r in revoked["recipients"]] == [False, True]
    revoked = call(client, api, "POST", f"/messages/{sent['id']}/revoke", token=token, expect=200).get_json()
    assert revoked["revoked"] is True
    assert "Dit bericht is ingetrokken" in otto.get(f"{link}/read").get_data(as_text=True)
    call(client, api, "POST", f"/messages/{sent['id']}/restore", token=token, expect=200)


@pytest.mark.database
@pytest.mark.parametrize("body,code", [
    ({"subject": "x", "recipients": []}, "no_recipients"),
    ({"subject": "x", "recipients": "otto@ontvanger.nl"}, "invalid_field"),
    ({"subject": "x", "recipients": [{"email": "otto@ontvanger.nl", "verification": {"method": "carrier pigeon"}}]},
     "invalid_method"),
    ({"subject": "a\nb", "recipients": [{"email": "otto@ontvanger.nl"}]}, "invalid_subject"),
    ({"subject": "x", "recipients": [{"email": "otto@ontvanger.nl"}], "attachments": "u1"}, "invalid_field"),
    ({"subject": "x", "recipients": [{"email": "otto@ontvanger.nl"}], "expires_at": "yesterday"}, "invalid_field"),
    ({"subject": "x", "recipients": [{"email": "otto@ontvanger.nl"}], "reply_to": 5}, "invalid_field"),
    ({"subject": ["x"], "recipients": [{"email": "otto@ontvanger.nl"}]}, "invalid_field"),
])
def test_bad_requests_are_400_and_store_nothing(client, api, token, session, body, code):
    from sqlalchemy import func, select

    from zegel.messages.models import Message
    resp = call(client, api, "POST", "/messages", body, token=token, expect=400)
    assert resp.get_json()["error"]["code"] == code
    assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_other_users_cannot_see_or_revoke(client, api, worker, token, bram, new_client):
    sent = call(client, api, "POST", "/messages", {"subject": "x", "recipients": [{"email": "otto@ontvanger.nl"}]},
                token=token, expect=201).get_json()
    other = new_client()
    challenge = other.post("/api/v1/auth/login", json={"email": "bram@demo.test", "password": "zegel-demo-2026"}).get_json()
    from tests.conftest import latest_code
    code = latest_code(other, worker, "+31612345672")
    bram_token = other.post("/api/v1/auth/verify", json={"challenge_id": challenge["challenge_id"],
                                                         "code": code}).get_json()["access_token"]
    call(other, api, "GET", f"/messages/{sent['id']}", token=bram_token, expect=404)
    call(other, api, "POST", f"/messages/{sent['id']}/revoke", token=bram_token, expect=404)
    call(client, api, "GET", f"/messages/{sent['id']}", expect=401)
