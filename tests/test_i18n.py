"""Dutch by default, English on request, and no untranslated Dutch string."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import web_login

ROOT = Path(__file__).resolve().parents[1]


def test_every_message_in_the_code_has_a_dutch_translation():
    method_map = [("server/zegel/**.py", "python"), ("server/zegel/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
    found = {msg for _f, _l, msg, _c, _ctx in extract_from_dir(str(ROOT), method_map, keywords=keywords)
             if isinstance(msg, str)}
    with open(ROOT / "server/zegel/translations/nl/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if m.id}
    missing = sorted(m for m in found if not catalog.get(m))
    assert not missing, f"add these to the Dutch catalog: {missing}"


def test_language_switch_is_remembered(client, new_client, worker, anna, session):
    assert "Inloggen" in client.get("/login").get_data(as_text=True)
    resp = client.post_form("/language", {"language": "en", "next": "/login"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert "Log in to your secure mailbox" in client.get("/login").get_data(as_text=True)

    web_login(client, worker)
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "Your secure mailbox is empty." in inbox and 'lang="en"' in inbox
    client.post_form("/language", {"language": "nl", "next": "/inbox"}, token_from="/inbox")
    client.post_form("/language", {"language": "en", "next": "/inbox"}, token_from="/inbox")
    session.expire_all()
    assert session.get(type(anna), anna.id).language == "en"  # follows the user to other devices


def test_unknown_language_is_refused(client):
    resp = client.post_form("/language", {"language": "de"}, token_from="/login")
    assert resp.status_code == 400
