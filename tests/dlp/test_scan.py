"""Scanning through the API and the web mailbox: the organisation's rules, attachments of every
format, hostile files, and the server's own check when a message is sent."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.dlp import files
from tests.uploads.conftest import auth, bearer_for, live  # noqa: F401  (fixtures)
from tests.uploads.test_folders import upload

MEDICAL_BODY = ("<p>Geachte heer Ontvanger,</p><p>Hierbij ontvangt u de uitslag van uw allergietest. Uw huisarts kan u "
                "doorverwijzen naar een dermatoloog voor verdere behandeling.</p>")


def scan(client, headers, **json):
    resp = client.post("/api/v1/dlp/scan", json=json, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def messages(result) -> list[str]:
    return [f["message"] for f in result["findings"]]


def test_the_manuals_grey_example(client, auth):
    result = scan(client, auth, subject="Uitslag allergietest", body_html=MEDICAL_BODY)
    assert "Veilig versturen? Woord uit lijst 'medical' in het bericht (Gevonden: 'allergietest')." in messages(result)
    assert result["secure_required"] is False and result["blocked"] is False
    assert {f["level"] for f in result["findings"]} == {"info"}


def test_the_manuals_orange_example_bsn_in_an_attachment(client, auth):
    data = files.docx("Patiënt: O. Ontvanger", "Burgerservicenummer: 1112.22.333")
    resp = client.post("/api/v1/dlp/scan", headers=auth, content_type="multipart/form-data",
                       data={"subject": "Uitslag", "body_html": "<p>Zie bijlage</p>",
                             "files": [(io.BytesIO(data), "Gevoelige informatie.docx")]})
    result = resp.get_json()
    bsn = [f for f in result["findings"] if f["detector"] == "bsn"]
    assert [f["message"] for f in bsn] == ["Gevoelige inhoud gevonden: BSN in bijlage."]
    assert bsn[0]["level"] == "warning" and bsn[0]["file"] == "Gevoelige informatie.docx"
    assert bsn[0]["excerpt"] == "••••.••.333" and "1112" not in str(result)  # never the whole number
    assert result["secure_required"] is True


@pytest.mark.parametrize("name,data", [
    ("uitslag.pdf", files.pdf("BSN 111222333")),
    ("lijst.xlsx", files.xlsx(["BSN"], ["111222333"])),
    ("brief.odt", files.odt("bsn 111222333")),
    ("notitie.txt", "bsn 111222333".encode("utf-16")),
    ("export.csv", b"naam;bsn\nJan;111222333\n"),
    ("pagina.html", b"<html><body><p>BSN</p><p>111222333</p></body></html>"),
    ("doorgestuurd.eml", files.eml("Zie bijlage", {"scan.pdf": files.pdf("sofinummer 111 222 333")})),
])
def test_every_format_is_read(client, auth, name, data):
    resp = client.post("/api/v1/dlp/scan", headers=auth, content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(data), name)]})
    findings = [f for f in resp.get_json()["findings"] if f["detector"] == "bsn"]
    assert findings and findings[0]["location"] == "attachment" and findings[0]["file"].startswith(name)


@pytest.mark.parametrize("name,data,reason", [
    ("bom.docx", files.docx_bomb(), "pakt uit tot te veel gegevens"),
    ("lol.xlsx", files.xlsx_billion_laughs(), "XML-entiteitdefinities"),
    ("geheim.pdf", files.pdf("BSN 111222333", encrypt_with="geheim"), "is versleuteld"),
    ("kapot.pdf", b"%PDF-1.4 dit is geen pdf", "kon niet worden gelezen"),
    ("oud.docx", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "is versleuteld"),
])
def test_hostile_files_end_quickly_with_a_clear_finding(client, auth, name, data, reason):
    resp = client.post("/api/v1/dlp/scan", headers=auth, content_type="multipart/form-data",
                       data={"files": [(io.BytesIO(data), name)]})
    assert resp.status_code == 200
    findings = resp.get_json()["findings"]
    assert [(f["level"], f["detector"]) for f in findings] == [("info", "extraction")]
    assert findings[0]["message"].startswith(f"Bijlage '{name}' kon niet worden gecontroleerd") and reason in \
        findings[0]["message"]


def test_a_500_mb_text_file_is_checked_in_part(app, anna, session, tmp_path):
    from zegel.dlp import service
    big = tmp_path / "export.txt"
    with open(big, "wb") as fh:
        fh.write(b"bsn 111222333\n")
        fh.truncate(500 * 1024 * 1024)  # sparse: no 500 MB on disk

    def read(limit):
        with open(big, "rb") as fh:
            return fh.read(limit)
    with app.test_request_context():
        result = service.scan(session, session.merge(anna), attachments=[service.Attachment("export.txt", read=read)])
    kinds = sorted((f.detector, f.level) for f in result.findings if f.detector != "list")
    assert kinds == [("bsn", "warning"), ("extraction", "info")]  # found in the first part, and said so
    assert "te groot om helemaal te controleren" in next(f.message for f in result.findings
                                                         if f.detector == "extraction")


def test_the_sandbox_stops_at_its_memory_and_time_limits():
    from zegel.dlp.sandbox import extract_in_sandbox
    data = b"bsn 111222333 " * (4 * 1024 * 1024)
    assert extract_in_sandbox("groot.txt", data, memory=200 * 1024 * 1024).problems == [("", "memory")]
    assert extract_in_sandbox("groot.txt", data, wall=0.001).problems == [("", "timeout")]


def admin_headers(client, worker, make_user):
    make_user("beheer@demo.test", "+31612345679", role="admin")
    return bearer_for(client, worker, "beheer@demo.test", "+31612345679")


def test_rules_are_for_admins_and_checked_before_anything_is_saved(client, worker, make_user, auth, session):
    from zegel.dlp.models import DlpRule
    assert client.get("/api/v1/dlp/rules", headers=auth).status_code == 403
    admin = admin_headers(client, worker, make_user)
    current = client.get("/api/v1/dlp/rules", headers=admin).get_json()
    assert [r["name"] for r in current["rules"]][:2] == ["BSN", "Gevoelig in onderwerp"]
    before = session.scalar(select(func.count()).select_from(DlpRule))
    for bad in ({"name": "x", "detector": "regex", "pattern": "(unclosed", "level": "block", "locations": ["body"]},
                {"name": "x", "detector": "bsn", "level": "stop", "locations": ["body"]},
                {"name": "x", "detector": "list:onbekend", "level": "info", "locations": ["body"]},
                {"name": "x", "detector": "bsn", "level": "info", "locations": ["overal"]},
                {"name": "", "detector": "bsn", "level": "info", "locations": ["body"]},
                "geen object"):
        resp = client.put("/api/v1/dlp/rules", json={"rules": [*current["rules"], bad]}, headers=admin)
        assert resp.status_code == 400, bad
    assert session.scalar(select(func.count()).select_from(DlpRule)) == before  # nothing half-done


def test_an_admins_regex_cannot_hang_the_scanner(client, worker, make_user, auth):
    admin = admin_headers(client, worker, make_user)
    rules = [{"name": "Dossiernummer", "detector": "regex", "pattern": r"(a+)+$", "level": "warning",
              "locations": ["body"]},
             {"name": "Zaaknummer", "detector": "regex", "pattern": r"ZK-\d{6}", "level": "warning",
              "locations": ["body", "subject"]}]
    assert client.put("/api/v1/dlp/rules", json={"rules": rules}, headers=admin).status_code == 200
    # Catastrophic for a backtracking engine (2^n paths); RE2 answers in linear time.
    result = scan(client, auth, body_html="a" * 50_000 + "!", subject="ZK-123456")
    assert [f["rule_name"] for f in result["findings"]] == ["Zaaknummer"]
    assert result["findings"][0]["excerpt"] == "••-•••456"


def test_an_organisations_own_word_list(client, worker, make_user, auth):
    admin = admin_headers(client, worker, make_user)
    assert client.put("/api/v1/dlp/lists/projecten", json={"terms": ["Project Zilvermeeuw", "zilvermeeuw"]},
                      headers=admin).status_code == 200
    assert client.put("/api/v1/dlp/lists/medical", json={"terms": ["x"]}, headers=admin).status_code == 400
    rules = client.get("/api/v1/dlp/rules", headers=admin).get_json()["rules"]
    rules.append({"name": "Projecten", "detector": "list:projecten", "level": "warning", "locations": ["body"]})
    assert client.put("/api/v1/dlp/rules", json={"rules": rules}, headers=admin).status_code == 200
    result = scan(client, auth, body_html="<p>Over project ZILVERMEEUW.</p>")
    assert "Gevoelige inhoud gevonden" not in str(result)
    assert any(f["message"] == "Woord uit lijst 'projecten' in het bericht (Gevonden: 'project ZILVERMEEUW')."
               for f in result["findings"])
    assert client.delete("/api/v1/dlp/lists/projecten", headers=admin).status_code == 409  # in use


def test_uploaded_files_are_scanned_by_reference(client, live, auth):
    upload_id = upload(live, auth, "scan.pdf", files.pdf("BSN 111222333"))
    result = scan(client, auth, uploads=[upload_id])
    assert [f["file"] for f in result["findings"] if f["detector"] == "bsn"] == ["scan.pdf"]
    assert client.post("/api/v1/dlp/scan", json={"uploads": ["nope"]}, headers=auth).status_code == 404
    assert client.post("/api/v1/dlp/scan", json={"uploads": "x"}, headers=auth).status_code == 400


@pytest.mark.parametrize("body", [None, [], {"subject": 5}, {"recipients": "a@b.nl"}])
def test_bad_scan_requests(client, auth, body):
    assert client.post("/api/v1/dlp/scan", json=body, headers=auth).status_code == 400
    assert client.post("/api/v1/dlp/scan", json={}).status_code == 401


def test_scans_keep_no_content_only_an_audit_record(client, auth, session):
    from zegel.audit.models import AuditEvent
    scan(client, auth, body_html="<p>BSN 111222333</p>")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "dlp.scan"))
    assert event.details["findings"][0]["detector"] == "bsn" and "111222333" not in str(event.details)


@pytest.mark.database
def test_a_blocking_rule_holds_on_send_even_without_a_scan(client, worker, make_user, auth, session):
    from zegel.messages.models import Message
    admin = admin_headers(client, worker, make_user)
    rules = client.get("/api/v1/dlp/rules", headers=admin).get_json()["rules"]
    rules[0]["level"] = "block"  # BSN
    assert client.put("/api/v1/dlp/rules", json={"rules": rules}, headers=admin).status_code == 200
    body = {"subject": "Uitslag", "body_html": "<p>Uw BSN: 111 222 333</p>",
            "recipients": [{"email": "otto@ontvanger.nl", "verification": {"method": "none"}}]}
    resp = client.post("/api/v1/messages", json=body, headers=auth)
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "dlp_blocked"
    assert "otto@ontvanger.nl" in resp.get_json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Message)) == 0
    body["recipients"][0]["verification"] = {"method": "sms", "phone": "0687654321"}
    assert client.post("/api/v1/messages", json=body, headers=auth).status_code == 201


def test_the_rules_page_is_for_admins_only(client, worker, anna):
    from tests.messages.helpers import logged_in
    logged_in(client, worker)
    assert client.get("/admin/dlp").status_code == 403
    assert "Controleregels" not in client.get("/inbox").get_data(as_text=True)


def test_the_compose_form_without_javascript_is_checked_on_send(client, worker, make_user, auth, session):
    from tests.messages.helpers import compose, logged_in
    from zegel.messages.models import Message
    admin = admin_headers(client, worker, make_user)
    rules = client.get("/api/v1/dlp/rules", headers=admin).get_json()["rules"]
    rules[0]["level"] = "block"
    client.put("/api/v1/dlp/rules", json={"rules": rules}, headers=admin)
    sender = logged_in(client, worker)
    resp = compose(sender, [{"email": "otto@ontvanger.nl", "method": "none"}], body="BSN 111222333",
                   files=[(io.BytesIO(b"x"), "a.txt")], expect=422)
    assert "kan niet zonder ontvangerscontrole worden verstuurd" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_the_compose_scan_needs_the_csrf_header(client, worker, anna):
    from tests.messages.helpers import logged_in
    logged_in(client, worker)
    resp = client.post("/compose/dlp", json={"body_html": "bsn 111222333"})
    assert resp.status_code == 400
    token = client.csrf("/compose")
    resp = client.post("/compose/dlp", json={"body_html": "bsn 111222333"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 200 and resp.get_json()["secure_required"] is True


def test_a_finished_upload_is_read_once_while_the_user_keeps_typing(app, anna, session):
    from zegel.dlp import service
    reads = []

    def read(limit):
        reads.append(limit)
        return b"bsn 111222333"[:limit]
    with app.test_request_context():
        user = session.merge(anna)
        for text in ("Beste", "Beste Otto", "Beste Otto, zie bijlage"):
            result = service.scan(session, user, body_html=text,
                                  attachments=[service.Attachment("scan.txt", read=read, cache_key="upload-1")])
            assert [f.file for f in result.findings if f.detector == "bsn"] == ["scan.txt"]
    assert len(reads) == 2  # the first scan: the first bytes, then the file; later scans use the text
