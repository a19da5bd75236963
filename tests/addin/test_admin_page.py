"""/admin/addin: only administrators see the Outlook add-in page and download its manifest; the page says
where the manifest is, how it is set, and how to deploy it, and warns when Zegel is not on https."""
from __future__ import annotations

import pytest
from defusedxml import ElementTree

from tests.conftest import web_login
from zegel.app import create_app
from zegel.crypto.keyring import Keyring

OFFICE = "{http://schemas.microsoft.com/office/appforoffice/1.1}"
PAGE, DOWNLOAD = "/admin/addin", "/admin/addin/zegel-outlook-manifest.xml"


@pytest.fixture
def https_client(make_config, keyring_file):
    """A client of a server whose public address is https, as in production."""
    from tests.conftest import Browserish
    config = make_config(ZEGEL_PUBLIC_URL="https://zegel.ziekenhuis.example", ZEGEL_ADDIN_SEND_MODE="block",
                         ZEGEL_ADDIN_ID="0d6a4b2e-3c1f-4e8a-9b7d-5f2e1a3c4b6d")
    app = create_app(config, Keyring.load(keyring_file))
    client = app.test_client()
    # On https the session cookie is Secure, and CSRF checks want a same-site Referer, as browsers send.
    client.environ_base.update({"wsgi.url_scheme": "https", "HTTP_REFERER": "https://localhost/"})
    yield Browserish(client), app
    from zegel.db import Database
    Database.engine_for(app).dispose()


def log_in_admin(client, app, phone="+31612345690"):
    """An administrator of the organisation "Demo", logged in with password and SMS code."""
    from sqlalchemy import select

    from tests.conftest import DEMO_PASSWORD
    from zegel.accounts.models import Organisation
    from zegel.accounts.service import create_organisation, create_user
    from zegel.extensions import db
    with app.app_context():
        org = db.session.scalar(select(Organisation)) or create_organisation(db.session, "Demo")
        create_user(db.session, org, name="Beheerder", email="beheer@demo.test", phone=phone,
                    password=DEMO_PASSWORD, role="admin")
    from zegel.delivery.worker import Worker
    resp = web_login(client, Worker(app), email="beheer@demo.test", phone=phone)
    assert resp.status_code == 302


@pytest.mark.parametrize("path", [PAGE, DOWNLOAD])
def test_anonymous_visitors_are_sent_to_the_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path", [PAGE, DOWNLOAD])
def test_a_user_who_is_not_an_administrator_is_refused(client, worker, anna, path):
    web_login(client, worker)
    resp = client.get(path)
    assert resp.status_code == 403
    assert "Only an administrator" in resp.get_data(as_text=True) or "beheerder" in resp.get_data(as_text=True)
    # ...and the navigation does not offer the page.
    assert 'href="/admin/addin"' not in client.get("/inbox").get_data(as_text=True)


def test_an_administrator_sees_the_manifest_settings_and_the_steps(https_client):
    client, app = https_client
    log_in_admin(client, app)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert inbox.index('href="/admin/dlp"') < inbox.index('href="/admin/addin"')  # next to the content rules

    client.set_cookie("zegel_lang", "en")
    resp = client.get(PAGE)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'value="https://zegel.ziekenhuis.example/addin/manifest.xml"' in html
    assert "0d6a4b2e-3c1f-4e8a-9b7d-5f2e1a3c4b6d" in html and "<code>Block</code>" in html
    assert "nobody who has the add-in can send e-mail" in html  # what Block means
    assert 'href="/admin/addin/zegel-outlook-manifest.xml"' in html
    assert "Integrated apps" in html and "Upload custom apps" in html and "Provide link to manifest file" in html
    assert "24 hours" in html and "72 hours" in html
    assert 'New-App -OrganizationApp -Url "https://zegel.ziekenhuis.example/addin/manifest.xml"' in html
    assert "Add from file" in html
    assert "not on an https address" not in html
    assert 'aria-current="page">Outlook add-in<' in html


def test_the_download_is_the_servers_manifest_as_an_attachment(https_client):
    client, app = https_client
    log_in_admin(client, app)
    resp = client.get(DOWNLOAD)
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="zegel-outlook-manifest.xml"'
    root = ElementTree.fromstring(resp.data)
    assert root.findtext(f"{OFFICE}Id") == "0d6a4b2e-3c1f-4e8a-9b7d-5f2e1a3c4b6d"
    assert 'SendMode="Block"' in resp.get_data(as_text=True)
    assert "https://zegel.ziekenhuis.example/addin/taskpane.html" in resp.get_data(as_text=True)


def test_on_plain_http_the_page_warns_and_offers_no_download(client, app):
    log_in_admin(client, app)
    client.set_cookie("zegel_lang", "en")
    html = client.get(PAGE).get_data(as_text=True)
    assert "Zegel is not on an https address, so Outlook cannot load the add-in." in html
    assert "http://127.0.0.1:5000" in html and "ZEGEL_PUBLIC_URL" in html
    assert 'href="/admin/addin/zegel-outlook-manifest.xml"' not in html
    assert "<code>SoftBlock</code>" in html and "Send Anyway" in html
    resp = client.get(DOWNLOAD)
    assert resp.status_code == 409
    assert "https" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", [PAGE + "/", PAGE + "/manifest.json", DOWNLOAD + "?download=../../etc"])
def test_odd_addresses_do_not_break_anything(client, app, path):
    log_in_admin(client, app)
    assert client.get(path).status_code in (308, 404, 409)
