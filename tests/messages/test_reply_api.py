"""A secure reply through the API (the read pane's "Veilig antwoorden"): without a recipient list it
goes where a reply from the mailbox goes, and agreed passwords have to be given again."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.api.test_auth_api import call

pytestmark = pytest.mark.usefixtures("anna")


def first_message(client, api, token):
    return call(client, api, "POST", "/messages", {"subject": "Uitslag", "body_html": "<p>Eerste</p>", "recipients": [
        {"email": "yara@ontvanger.nl", "type": "to", "verification": {"method": "sms", "phone": "06 87654321"}},
        {"email": "zoe@ontvanger.nl", "type": "cc", "verification": {"method": "password", "password": "appeltaart-1"}},
    ]}, token=token, expect=201).get_json()


@pytest.mark.database
def test_a_reply_to_ones_own_message_goes_to_the_same_recipients(client, api, token, session):
    from zegel.messages.models import Message
    first = first_message(client, api, token)
    before = session.scalar(select(func.count()).select_from(Message))
    # Without zoe's password the reply cannot be verified for her: refused, nothing stored.
    resp = call(client, api, "POST", "/messages", {"reply_to": first["id"], "body_text": "Tweede"}, token=token,
                expect=400)
    assert "zoe@ontvanger.nl" in resp.get_json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Message)) == before
    reply = call(client, api, "POST", "/messages", {"reply_to": first["id"], "body_text": "Tweede\nregel",
                                                    "passwords": {"Zoe@Ontvanger.nl": "appeltaart-2"}},
                 token=token, expect=201).get_json()
    assert reply["conversation_id"] == first["conversation_id"]
    assert [(r["email"], r["method"]) for r in reply["recipients"]] == [
        ("yara@ontvanger.nl", "sms"), ("zoe@ontvanger.nl", "password")]
    shown = call(client, api, "GET", f"/messages/{reply['id']}", token=token, expect=200).get_json()
    assert shown["subject"] == "Re: Uitslag" and "Tweede<br>regel" in shown["body_html"].replace("<br />", "<br>")


@pytest.mark.parametrize("passwords", ["appeltaart", ["appeltaart"], {"zoe@ontvanger.nl": 7}])
def test_passwords_of_the_wrong_shape_are_refused(client, api, token, passwords):
    first = first_message(client, api, token)
    resp = call(client, api, "POST", "/messages", {"reply_to": first["id"], "body_text": "x", "passwords": passwords},
                token=token, expect=400)
    assert resp.get_json()["error"]["code"] == "invalid_field"


def test_without_reply_to_the_recipients_are_required(client, api, token):
    resp = call(client, api, "POST", "/messages", {"subject": "x", "body_text": "y"}, token=token, expect=400)
    assert resp.get_json()["error"]["code"] == "invalid_field"


@pytest.mark.database
def test_the_read_pane_finds_a_message_by_its_link_and_only_its_readers_do(client, api, token, worker, make_user):
    from tests.uploads.conftest import bearer_for
    make_user("cees@demo.test", "+31612345673", name="Cees")
    sent = call(client, api, "POST", "/messages/outlook", {"subject": "Uitslag", "body_html": "<p>x</p>", "recipients": [
        {"email": "yara@ontvanger.nl", "verification": {"method": "none"}}]}, token=token, expect=201).get_json()
    found = call(client, api, "POST", "/messages/lookup", {"link": sent["link"] + "?utm=x"}, token=token,
                 expect=200).get_json()
    assert found["id"] == sent["id"]
    for link in ("https://zegel.example/r/" + "A" * 43, "not a link", sent["link"][:-5]):
        call(client, api, "POST", "/messages/lookup", {"link": link}, token=token, expect=404)
    call(client, api, "POST", "/messages/lookup", {"link": 7}, token=token, expect=400)
    # Somebody else with the link is no reader: the link itself gives no access through the API.
    cees = bearer_for(client, worker, "cees@demo.test", "+31612345673")
    assert client.post("/api/v1/messages/lookup", json={"link": sent["link"]}, headers=cees).status_code == 404
    call(client, api, "POST", "/messages/lookup", {"link": sent["link"]}, expect=401)
