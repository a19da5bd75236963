"""The add-in's settings: "Verzonden Zegel-berichten automatisch onversleuteld opslaan", per account,
read and written over the API, audited, and shown in /me with the organisation's default verification."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.api.test_auth_api import call
from tests.uploads.conftest import bearer_for

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("anna")]


def setting_events(session) -> list:
    from zegel.audit.models import AuditEvent
    return session.scalars(select(AuditEvent).where(AuditEvent.action == "settings.save_sent_unencrypted")
                           .order_by(AuditEvent.seq)).all()


def test_the_setting_is_off_until_changed_and_each_change_is_audited(client, api, worker, token, bram, session):
    assert call(client, api, "GET", "/settings", token=token, expect=200).get_json() == {
        "save_sent_unencrypted": False}
    me = call(client, api, "GET", "/me", token=token, expect=200).get_json()
    assert me["settings"] == {"save_sent_unencrypted": False} and me["org_default"] == "sms"

    saved = call(client, api, "PUT", "/settings", {"save_sent_unencrypted": True}, token=token, expect=200)
    assert saved.get_json() == {"save_sent_unencrypted": True}
    assert call(client, api, "GET", "/settings", token=token, expect=200).get_json() == {
        "save_sent_unencrypted": True}
    assert call(client, api, "GET", "/me", token=token, expect=200).get_json()["settings"] == {
        "save_sent_unencrypted": True}

    events = setting_events(session)
    assert [(e.actor_id, e.subject, e.details["value"]) for e in events] == [(me["id"], "anna@demo.test", True)]

    # Saving the same value again is no change and no event; switching it off is.
    call(client, api, "PUT", "/settings", {"save_sent_unencrypted": True}, token=token, expect=200)
    assert len(setting_events(session)) == 1
    call(client, api, "PUT", "/settings", {"save_sent_unencrypted": False}, token=token, expect=200)
    assert [e.details["value"] for e in setting_events(session)] == [True, False]

    # It is Anna's own setting: Bram's stays off whatever Anna does.
    call(client, api, "PUT", "/settings", {"save_sent_unencrypted": True}, token=token, expect=200)
    bram_auth = bearer_for(client, worker, "bram@demo.test", "+31612345672")
    assert client.get("/api/v1/settings", headers=bram_auth).get_json() == {"save_sent_unencrypted": False}


def test_me_shows_the_organisations_default_verification(client, api, token, session, org):
    from zegel.accounts.models import Organisation
    session.get(Organisation, org.id).default_verification = "password"
    session.commit()
    assert call(client, api, "GET", "/me", token=token, expect=200).get_json()["org_default"] == "password"


@pytest.mark.parametrize("body", [
    {"save_sent_unencrypted": "true"},
    {"save_sent_unencrypted": 1},
    {"save_sent_unencrypted": None},
    {},
    {"save_sent_unencrypted": True, "save_sent_unencrpyted": True},  # a typo must not look saved
    [True],
    "true",
])
def test_wrong_settings_are_400_and_change_nothing(client, api, token, session, body):
    resp = call(client, api, "PUT", "/settings", body, token=token, expect=400)
    assert resp.get_json()["error"]["code"] in ("invalid_field", "invalid_json")
    assert resp.get_json()["error"]["message"]
    assert call(client, api, "GET", "/settings", token=token, expect=200).get_json() == {
        "save_sent_unencrypted": False}
    assert setting_events(session) == []


def test_a_body_that_is_not_json_is_400(client, api, token):
    resp = client.put("/api/v1/settings", data="save_sent_unencrypted=true",
                      headers={"Authorization": f"Bearer {token}"}, content_type="application/x-www-form-urlencoded")
    api.check("PUT", "/settings", resp)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_json"


def test_settings_need_a_login(client, api, session):
    call(client, api, "GET", "/settings", expect=401)
    call(client, api, "PUT", "/settings", {"save_sent_unencrypted": True}, expect=401)
    call(client, api, "PUT", "/settings", {"save_sent_unencrypted": True}, token="made-up", expect=401)
    assert setting_events(session) == []


def test_an_existing_account_gets_the_setting_off_on_upgrade(tmp_path):
    """Migration 0007 adds the column to a database that already has users: they start with it off."""
    from sqlalchemy import create_engine, text

    from zegel.migrate import upgrade
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0006")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, name, created_at, default_verification, "
                          "default_expiry_days) VALUES ('o1', 'Oud', '2026-01-01 00:00:00', 'sms', 0)"))
        conn.execute(text("INSERT INTO users (id, organisation_id, email, email_key, name, phone, password_hash, "
                          "role, active, created_at, password_changed_at) VALUES ('u1', 'o1', 'a@oud.nl', "
                          "'a@oud.nl', 'A', '+31612345671', 'x', 'user', 1, '2026-01-01 00:00:00', "
                          "'2026-01-01 00:00:00')"))
    upgrade(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT save_sent_unencrypted FROM users")).scalars().all() == [0]
    engine.dispose()
