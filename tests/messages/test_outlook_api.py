"""What the Outlook add-in asks of the API while composing, sending and reading: recipient checks,
inline Outlook attachments on send, and whole conversations; as the add-in and an attacker see it."""
from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import func, select

from tests.api.test_auth_api import call
from tests.messages.helpers import logged_in
from tests.uploads.conftest import bearer_for, live  # noqa: F401  (fixture)
from tests.uploads.test_folders import upload

pytestmark = pytest.mark.usefixtures("anna")
PDF = b"%PDF-1.4 uitslag " + bytes(range(256)) * 40


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def stored_state(session) -> tuple:
    from zegel.audit.models import AuditEvent
    from zegel.messages.models import Attachment, Message, RecipientDefault
    return tuple(count(session, m) for m in (Message, Attachment, RecipientDefault, AuditEvent))


# --- POST /recipients/check --------------------------------------------------------------


@pytest.mark.database
def test_check_reports_account_default_phone_and_every_problem(client, api, token, bram, session):
    # A remembered default for yara comes from an earlier send.
    call(client, api, "POST", "/messages", {"subject": "Eerder", "recipients": [
        {"email": "yara@ontvanger.nl", "verification": {"method": "sms", "phone": "06 87654321"},
         "remember": True}]}, token=token, expect=201)
    before = stored_state(session)
    recipients = [
        {"email": "Bram@Demo.test", "type": "to", "verification": {"method": "account"}},
        {"email": " yara@ontvanger.nl ", "type": "cc", "verification": {"method": "sms", "phone": "06 8765 4322"}},
        {"email": "otto@ontvanger.nl", "verification": {"method": "sms", "phone": "0612"}},
        {"email": "piet@ontvanger.nl", "verification": {"method": "sms", "phone": "020 123 4567"}},  # landline
        {"email": "kees@ontvanger.nl", "type": "bcc", "verification": {"method": "password", "password": "kort"}},
        {"email": "lies@ontvanger.nl", "verification": {"method": "account"}},
        {"email": "geen-adres"},
        {"email": "BRAM@demo.test", "verification": {"method": "none"}},  # the second bram
        {"email": "mies@ontvanger.nl", "type": "reply-to"},
        {"email": "joop@ontvanger.nl", "verification": {"method": "carrier pigeon"}},
        {"email": "fenna@ontvanger.nl", "verification": {"method": "password", "password": "lente-2026"}},
        {"email": "gert@ontvanger.nl"},  # a pure lookup
    ]
    resp = call(client, api, "POST", "/recipients/check", {"recipients": recipients}, token=token, expect=200)
    body = resp.get_json()
    assert body["org_default"] == "sms"
    got = body["recipients"]
    assert [r["email"] for r in got] == [
        "Bram@demo.test", "yara@ontvanger.nl", "otto@ontvanger.nl", "piet@ontvanger.nl", "kees@ontvanger.nl",
        "lies@ontvanger.nl", "geen-adres", "BRAM@demo.test", "mies@ontvanger.nl", "joop@ontvanger.nl",
        "fenna@ontvanger.nl", "gert@ontvanger.nl"]
    assert [r["problem_code"] for r in got] == [
        None, None, "invalid_phone", "invalid_phone", "invalid_password", "no_account", "invalid_email",
        "duplicate_recipient", "invalid_recipient", "invalid_method", None, None]
    assert all((r["problem"] is None) == (r["problem_code"] is None) for r in got)
    assert [r["has_account"] for r in got] == [True] + [False] * 6 + [True] + [False] * 4
    assert got[1]["phone"] == "+31687654322"  # normalised to E.164
    assert [r["phone"] for r in got if r is not got[1]] == [None] * 11
    assert got[1]["default"] == {"method": "sms", "phone": "+31687654321"}
    assert [r["default"] for r in got if r is not got[1]] == [None] * 11

    # The problems say, in the user's language (Dutch by default), what to fix for whom.
    assert got[2]["problem"] == "Vul een geldig telefoonnummer in, zoals 06 12345678 of +31 6 12345678."
    assert got[5]["problem"] == ("lies@ontvanger.nl heeft geen Zegel-account: kies een andere "
                                 "ontvangerscontrole.")
    assert got[7]["problem"] == "BRAM@demo.test staat er twee keer in."
    assert "kees@ontvanger.nl" in got[4]["problem"] and "8" in got[4]["problem"]
    assert stored_state(session) == before  # a check stores nothing, not even in the audit log


def test_check_in_english_for_an_english_client(client, api, token):
    client.set_cookie("zegel_lang", "en")
    resp = call(client, api, "POST", "/recipients/check", {"recipients": [
        {"email": "otto@ontvanger.nl", "verification": {"method": "sms", "phone": "12"}}]}, token=token, expect=200)
    assert resp.get_json()["recipients"][0]["problem"] == (
        "Enter a valid phone number, such as 06 12345678 or +31 6 12345678.")


def test_check_of_an_inactive_account_offers_no_account_method(client, api, token, bram, session):
    from zegel.accounts.models import User
    session.get(User, bram.id).active = False
    session.commit()
    got = call(client, api, "POST", "/recipients/check", {"recipients": [
        {"email": "bram@demo.test", "verification": {"method": "account"}}]}, token=token,
        expect=200).get_json()["recipients"]
    assert got[0]["has_account"] is False and got[0]["problem_code"] == "no_account"


def test_check_of_no_recipients_is_an_empty_answer(client, api, token):
    body = call(client, api, "POST", "/recipients/check", {"recipients": []}, token=token, expect=200).get_json()
    assert body["recipients"] == []


@pytest.mark.parametrize("body,code", [
    ({"recipients": "otto@ontvanger.nl"}, "invalid_field"),
    ({}, "invalid_field"),
    ({"recipients": ["otto@ontvanger.nl"]}, "invalid_field"),
    ({"recipients": [{"email": 5}]}, "invalid_field"),
    ({"recipients": [{"email": "otto@ontvanger.nl", "type": ["to"]}]}, "invalid_field"),
    ({"recipients": [{"email": "otto@ontvanger.nl", "verification": "sms"}]}, "invalid_field"),
    ({"recipients": [{"email": "otto@ontvanger.nl", "verification": {"method": "sms", "phone": 612345678}}]},
     "invalid_field"),
    ({"recipients": [{"email": f"r{i}@ontvanger.nl"} for i in range(101)]}, "too_many_recipients"),
    ([{"email": "otto@ontvanger.nl"}], "invalid_json"),
])
def test_check_refuses_a_malformed_request_as_a_whole(client, api, token, body, code):
    resp = call(client, api, "POST", "/recipients/check", body, token=token, expect=400)
    assert resp.get_json()["error"]["code"] == code


def test_check_needs_a_login(client, api):
    resp = call(client, api, "POST", "/recipients/check", {"recipients": []}, expect=401)
    assert resp.get_json()["error"]["code"] == "unauthorized"
    resp = call(client, api, "POST", "/recipients/check", {"recipients": []}, token="made-up", expect=401)


def test_check_and_send_agree(client, api, token, bram):
    """The check reports exactly what the send refuses: the send stops at the first of them."""
    recipients = [{"email": "bram@demo.test", "verification": {"method": "account"}},
                  {"email": "kees@ontvanger.nl", "verification": {"method": "password", "password": "kort"}}]
    checked = call(client, api, "POST", "/recipients/check", {"recipients": recipients}, token=token,
                   expect=200).get_json()["recipients"]
    sent = call(client, api, "POST", "/messages", {"subject": "x", "recipients": recipients}, token=token,
                expect=400).get_json()
    assert sent["error"] == {"code": checked[1]["problem_code"], "message": checked[1]["problem"]}


# --- GET /conversations/{id} -------------------------------------------------------------


@pytest.mark.database
def test_a_recipient_reads_the_conversation_and_that_is_the_read_receipt(client, api, worker, token, bram, session):
    from zegel.audit.models import AuditEvent
    first = call(client, api, "POST", "/messages", {
        "subject": "Dossier", "body_html": "<p>Eerste</p>",
        "recipients": [{"email": "bram@demo.test", "verification": {"method": "account"}},
                       {"email": "otto@ontvanger.nl", "type": "bcc"}]}, token=token, expect=201).get_json()
    second = call(client, api, "POST", "/messages", {
        "subject": "Re: Dossier", "body_html": "<p>Tweede</p>", "reply_to": first["id"],
        "recipients": [{"email": "bram@demo.test", "verification": {"method": "account"}}]},
        token=token, expect=201).get_json()
    assert second["conversation_id"] == first["conversation_id"]
    path = f"/conversations/{first['conversation_id']}"

    # The sender opening it changes nothing.
    mine = call(client, api, "GET", path, token=token, expect=200).get_json()
    assert mine["id"] == first["conversation_id"] and mine["subject"] == "Dossier"
    assert [m["id"] for m in mine["messages"]] == [first["id"], second["id"]]
    assert [m["read_status"] for m in mine["messages"]] == [{"read": 0, "total": 2}, {"read": 0, "total": 1}]
    assert [r["email"] for r in mine["messages"][0]["recipients"]] == ["bram@demo.test", "otto@ontvanger.nl"]

    bram_auth = bearer_for(client, worker, "bram@demo.test", "+31612345672")
    resp = client.get(f"/api/v1{path}", headers=bram_auth)
    api.check("GET", path, resp)
    theirs = resp.get_json()
    assert [m["body_html"] for m in theirs["messages"]] == ["<p>Eerste</p>", "<p>Tweede</p>"]
    assert [m["author"]["email"] for m in theirs["messages"]] == ["anna@demo.test"] * 2
    # A recipient sees no read counts and no recipient list (that would show the Bcc).
    assert all(m["read_status"] is None and m["recipients"] == [] for m in theirs["messages"])
    assert all(m["closed"] is None for m in theirs["messages"])

    for message_id, status in ((first["id"], {"read": 1, "total": 2}), (second["id"], {"read": 1, "total": 1})):
        got = call(client, api, "GET", f"/messages/{message_id}", token=token, expect=200).get_json()
        assert got["read_status"] == status
    reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "message.read")).all()
    assert sorted(e.subject for e in reads) == sorted([first["id"], second["id"]])

    # Opening it again is no second receipt.
    client.get(f"/api/v1{path}", headers=bram_auth)
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "message.read")) == 2


def test_a_revoked_recipient_sees_only_the_subject_and_is_not_marked_read(client, api, worker, token, bram):
    sent = call(client, api, "POST", "/messages", {
        "subject": "Ingetrokken", "body_html": "<p>Geheim</p>",
        "recipients": [{"email": "bram@demo.test", "verification": {"method": "account"}}]},
        token=token, expect=201).get_json()
    call(client, api, "POST", f"/messages/{sent['id']}/recipients/{sent['recipients'][0]['id']}/revoke",
         token=token, expect=200)
    bram_auth = bearer_for(client, worker, "bram@demo.test", "+31612345672")
    theirs = client.get(f"/api/v1/conversations/{sent['conversation_id']}", headers=bram_auth).get_json()
    message = theirs["messages"][0]
    assert message["subject"] == "Ingetrokken" and message["closed"] == "revoked"
    assert message["body_html"] == "" and message["attachments"] == []
    got = call(client, api, "GET", f"/messages/{sent['id']}", token=token, expect=200).get_json()
    assert got["read_status"] == {"read": 0, "total": 1}


@pytest.mark.database
def test_someone_elses_or_an_unknown_conversation_is_404(client, api, worker, token, make_user, session):
    make_user("cees@demo.test", "+31612345673", name="Cees")
    sent = call(client, api, "POST", "/messages", {
        "subject": "Alleen voor Otto", "recipients": [{"email": "otto@ontvanger.nl"}]},
        token=token, expect=201).get_json()
    cees = bearer_for(client, worker, "cees@demo.test", "+31612345673")
    unknown = call(client, api, "GET", "/conversations/does-not-exist", token=token, expect=404).get_json()
    for path in (f"/conversations/{sent['conversation_id']}", f"/conversations/{sent['id']}"):
        resp = client.get(f"/api/v1{path}", headers=cees)
        api.check("GET", path, resp)
        assert resp.status_code == 404
        assert resp.get_json() == unknown  # a foreign id looks exactly like one that does not exist
        assert "Alleen voor Otto" not in resp.get_data(as_text=True)
    call(client, api, "GET", f"/conversations/{sent['conversation_id']}", expect=401)


# --- POST /messages/outlook with the Outlook item's attachments ----------------------------


@pytest.mark.database
def test_outlook_attachments_arrive_inline_with_uploads(client, api, token, live, worker, new_client, session):
    from zegel.messages.models import Attachment
    auth = bearer(token)
    scan = upload(live, auth, "scan.pdf", b"%PDF-1.4 scan")
    big = bytes(range(256)) * (3 * 4096)  # 3 MiB: more than the API's usual 1 MiB request limit
    body = {"subject": "Uitslag", "body_html": "<p>Zie bijlagen.</p>", "attachments": [scan],
            "recipients": [{"email": "otto@ontvanger.nl", "verification": {"method": "none"}}],
            "files": [{"name": "uitslag.pdf", "content_type": "application/pdf", "content": b64(PDF)},
                      {"name": "foto.jpg", "content_type": None, "content": b64(big)},
                      {"name": "leeg.txt", "content": ""}]}
    resp = call(client, api, "POST", "/messages/outlook", body, token=token, expect=201)
    sent = resp.get_json()
    assert sent["id"] and sent["conversation_id"] and sent["link"] in sent["placeholder_html"]

    message = call(client, api, "GET", f"/messages/{sent['id']}", token=token, expect=200).get_json()
    assert [(a["name"], a["size"]) for a in message["attachments"]] == [
        ("uitslag.pdf", len(PDF)), ("foto.jpg", len(big)), ("leeg.txt", 0), ("scan.pdf", 13)]
    types = {a.id: a.content_type for a in session.scalars(select(Attachment))}
    # A file without a type (Outlook gives none in compose mode) is typed by its name.
    assert sorted(types.values()) == ["application/octet-stream", "application/pdf", "image/jpeg", "text/plain"]
    assert all(a.blob_key for a in session.scalars(select(Attachment)))

    # The sender downloads the inline files back from the web mailbox, byte for byte.
    browser = logged_in(new_client(), worker)
    page = browser.get(f"/conversations/{sent['conversation_id']}").get_data(as_text=True)
    hrefs = re.findall(r'href="(/messages/[^"]+/attachments/[^"]+)"', page)
    downloads = {browser.get(h).data for h in hrefs}
    assert {PDF, big, b"", b"%PDF-1.4 scan"} <= downloads


@pytest.mark.database
@pytest.mark.parametrize("files,code", [
    ([{"name": "a.pdf", "content": "JVBERi0xLjQ=!"}], "invalid_field"),  # not base64
    ([{"name": "a.pdf", "content": "JVBERi0xLjQ"}], "invalid_field"),  # missing padding
    ([{"name": "a.pdf", "content": "JVBE\nRi0xLjQ="}], "invalid_field"),  # line breaks are not base64 either
    ("JVBERi0xLjQ=", "invalid_field"),
    ([b"x".hex()], "invalid_field"),
    ([{"content": "JVBERi0xLjQ="}], "invalid_field"),
    ([{"name": 5, "content": "JVBERi0xLjQ="}], "invalid_field"),
    ([{"name": "a.pdf", "content_type": 7, "content": "JVBERi0xLjQ="}], "invalid_field"),
    ([{"name": "a.pdf"}], "invalid_field"),
    ([{"name": "", "content": "JVBERi0xLjQ="}], "invalid_attachment"),
    ([{"name": f"{i}.txt", "content": ""} for i in range(21)], "too_many_attachments"),
])
def test_bad_outlook_attachments_are_400_and_nothing_is_stored(client, api, token, session, live, files, code):
    from zegel.uploads.models import Upload
    scan = upload(live, bearer(token), "scan.pdf", b"%PDF-1.4 scan")
    before = stored_state(session)
    body = {"subject": "Uitslag", "recipients": [{"email": "otto@ontvanger.nl"}], "attachments": [scan],
            "files": files}
    resp = call(client, api, "POST", "/messages/outlook", body, token=token, expect=400)
    assert resp.get_json()["error"]["code"] == code
    assert stored_state(session) == before
    assert session.get(Upload, scan) is not None  # the upload is not used up by a refused send


def test_outlook_attachments_over_the_limits_are_413(client, api, token, session):
    before = stored_state(session)
    recipients = [{"email": "otto@ontvanger.nl"}]
    half = b64(b"\x00" * (20 * 1024 * 1024 + 512 * 1024))  # two of these: 41 MiB together
    resp = call(client, api, "POST", "/messages/outlook", {"subject": "Groot", "recipients": recipients,
                "files": [{"name": "a.bin", "content": half}, {"name": "b.bin", "content": half}]},
                token=token, expect=413)
    assert resp.get_json()["error"]["code"] == "attachments_too_large"
    del half

    one = b64(b"\x00" * (26 * 1024 * 1024))  # one file over 25 MiB
    resp = call(client, api, "POST", "/messages/outlook", {"subject": "Groot", "recipients": recipients,
                "files": [{"name": "groot.bin", "content": one}]}, token=token, expect=413)
    assert resp.get_json()["error"]["code"] == "attachment_too_large"
    del one

    # A request larger than any allowed one is refused before it is read.
    huge = b'{"subject": "x", "files": [{"name": "a", "content": "' + b"A" * (58 * 1024 * 1024) + b'"}]}'
    resp = client.post("/api/v1/messages/outlook", data=huge, content_type="application/json",
                       headers=bearer(token))
    api.check("POST", "/messages/outlook", resp)
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
    del huge

    # The larger limit is only for the Outlook send.
    two_mib = {"subject": "x", "recipients": recipients, "body_html": "a" * (2 * 1024 * 1024)}
    resp = call(client, api, "POST", "/messages", two_mib, token=token, expect=413)
    assert resp.get_json()["error"]["code"] == "too_large"
    assert stored_state(session) == before


def test_the_outlook_send_needs_a_login_and_only_a_login_may_send_much(client, api):
    body = {"subject": "x", "recipients": [{"email": "otto@ontvanger.nl"}],
            "files": [{"name": "a.pdf", "content": "JVBERi0xLjQ="}]}
    for headers in ({}, {"Authorization": "Bearer made-up"}):
        resp = client.post("/api/v1/messages/outlook", headers=headers, json=body)
        api.check("POST", "/messages/outlook", resp)
        assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "unauthorized"
        # Without a valid token the usual 1 MiB limit stays: a large body is refused unread.
        large = {**body, "files": [{"name": "a.bin", "content": "A" * (2 * 1024 * 1024)}]}
        resp = client.post("/api/v1/messages/outlook", headers=headers, json=large)
        api.check("POST", "/messages/outlook", resp)
        assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"
