"""The add-in's pages as Outlook loads them: framable by Outlook only, office.js allowed, texts in
Outlook's language; the handler bundle with its configuration; CORS for the JavaScript-only runtime."""
from __future__ import annotations

import json
import re

import pytest

from tests.addin.test_manifest import ROOT


def test_the_repository_manifest_names_the_handler_file_the_server_serves(app):
    assert "https://localhost:5443/addin/launchevent.js" in (ROOT / "manifest.xml").read_text()


def test_the_task_pane_may_be_framed_by_outlook_and_load_office_js(client):
    resp = client.get("/addin/taskpane.html")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self' https://appsforoffice.microsoft.com" in csp
    assert "https://outlook.office.com" in csp and "frame-ancestors 'self'" in csp
    assert "X-Frame-Options" not in resp.headers
    assert b'src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"' in resp.data
    # Other pages still refuse every frame.
    other = client.get("/login")
    assert other.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("query", "headers", "word", "language"), [
    ("", {"Accept-Language": "nl-NL,nl;q=0.9"}, "Veilig versturen", "nl"),
    ("", {"Accept-Language": "en-GB"}, "Send securely", "en"),
    ("?lang=en", {"Accept-Language": "nl"}, "Send securely", "en"),
    ("?mode=read&lang=nl", {}, "Veilig versturen", "nl"),
])
def test_the_pane_speaks_outlooks_language(client, query, headers, word, language):
    resp = client.get(f"/addin/taskpane.html{query}", headers=headers)
    page = resp.get_data(as_text=True)
    assert word in page and f'<html lang="{language}">' in page
    config = json.loads(re.search(r'<script id="zegel-config" type="application/json">(.*?)</script>', page).group(1))
    assert config["language"] == language and config["mode"] == ("read" if "read" in query else "compose")
    assert all(isinstance(v, str) and v for v in config["texts"].values())


def test_the_handler_bundle_carries_its_configuration_in_both_languages(app, client):
    resp = client.get("/addin/launchevent.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    body = resp.get_data(as_text=True)
    prelude, _, bundle = body.partition("\n")
    config = json.loads(prelude.removeprefix("var ZEGEL_CONFIG = ").removesuffix(";"))
    assert config["base"] == app.config["ZEGEL"].public_url
    assert set(config["texts"]) == {"nl", "en"}
    assert config["texts"]["nl"]["open_pane"] == "Open Zegel" and "niet bereikbaar" in config["texts"]["nl"]["unreachable"]
    assert "cannot be reached" in config["texts"]["en"]["unreachable"]
    # One self-contained script: no module imports left for the runtime to resolve, and nothing newer
    # than ES2016, which classic Outlook's JavaScript-only runtime is documented to support.
    assert "Office.actions.associate" in bundle and not re.search(r"^\s*import\s", bundle, re.M)
    assert not re.search(r"\basync\b|\bawait\b|\?\.|\?\?|\.finally\(|Object\.(entries|values|fromEntries)\(", bundle)
    commands = client.get("/addin/commands.html").get_data(as_text=True)
    assert "/addin/launchevent.js" in commands and "office.js" in commands


def test_the_api_answers_other_origins_without_credentials(client):
    preflight = client.open("/api/v1/dlp/scan", method="OPTIONS", headers={
        "Origin": "null", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    resp = client.post("/api/v1/dlp/scan", json={}, headers={"Origin": "https://outlook.office.com"})
    assert resp.status_code == 401 and resp.headers["Access-Control-Allow-Origin"] == "*"
    # Pages outside the API get no CORS headers.
    assert "Access-Control-Allow-Origin" not in client.get("/login", headers={"Origin": "https://evil.test"}).headers
