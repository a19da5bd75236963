"""Accounts: e-mail and phone validation, uniqueness, password rules and change."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import DEMO_PASSWORD, web_login
from zegel.accounts.models import User
from zegel.errors import AppError

pytestmark = pytest.mark.database


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_phone_is_stored_as_e164_and_email_case_kept(make_user):
    user = make_user("Anna.de.Vries@Demo.test", "06-1234 5671")
    assert user.phone == "+31612345671"
    assert user.email == "Anna.de.Vries@demo.test" and user.email_key == "anna.de.vries@demo.test"


def test_foreign_mobile_numbers_are_accepted(make_user):
    assert make_user("piet@demo.test", "+32 470 12 34 56").phone == "+32470123456"


def test_email_is_unique_whatever_its_case(make_user, session):
    make_user("anna@demo.test", "0612345671")
    with pytest.raises(AppError) as err:
        make_user("ANNA@demo.TEST", "0612345672")
    assert err.value.code == "email_taken" and err.value.status == 409
    assert user_count(session) == 1


@pytest.mark.parametrize("phone,why", [
    ("12345", "too short"),
    ("06123456789", "too long"),
    ("+31 20 123 4567", "a landline cannot receive SMS"),
    ("call me", "not a number"),
    ("", "empty"),
])
def test_invalid_phone_numbers_are_refused_and_nothing_is_created(make_user, session, phone, why):
    with pytest.raises(AppError) as err:
        make_user("new@demo.test", phone)
    assert err.value.code == "invalid_phone", why
    assert user_count(session) == 0


@pytest.mark.parametrize("email", ["anna", "anna@", "@demo.test", "anna@localhost", "an na@demo.test", "a" * 330])
def test_invalid_email_addresses_are_refused(make_user, session, email):
    with pytest.raises(AppError) as err:
        make_user(email, "0612345671")
    assert err.value.code == "invalid_email"
    assert user_count(session) == 0


@pytest.mark.parametrize("password", ["short", "password123", "anna@demo.test", "aaaaaaaaaaaa", "x" * 300])
def test_weak_passwords_are_refused(make_user, session, password):
    with pytest.raises(AppError) as err:
        make_user("anna@demo.test", "0612345671", password=password)
    assert err.value.code == "weak_password"
    assert user_count(session) == 0


def test_passwords_are_stored_as_argon2id(make_user):
    user = make_user("anna@demo.test", "0612345671")
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert DEMO_PASSWORD not in user.password_hash


def test_password_change_signs_out_other_browsers(client, new_client, worker, anna):
    other = new_client()
    web_login(other, worker)
    web_login(client, worker)
    page = "/account/password"
    resp = client.post_form(page, {"current": "wrong-current-1", "new": "paars konijn op de fiets",
                                   "confirm": "paars konijn op de fiets"})
    assert resp.status_code == 400 and "Je huidige wachtwoord is niet juist" in resp.get_data(as_text=True)
    resp = client.post_form(page, {"current": DEMO_PASSWORD, "new": "welkom123", "confirm": "welkom123"})
    assert resp.status_code == 400 and "minstens 10 tekens" in resp.get_data(as_text=True)
    resp = client.post_form(page, {"current": DEMO_PASSWORD, "new": "paars konijn op de fiets", "confirm": "anders"})
    assert resp.status_code == 400 and "niet gelijk" in resp.get_data(as_text=True)

    resp = client.post_form(page, {"current": DEMO_PASSWORD, "new": "paars konijn op de fiets",
                                   "confirm": "paars konijn op de fiets"})
    assert resp.status_code == 302
    assert client.get("/inbox").status_code == 200  # this browser stays signed in
    assert other.get("/inbox").status_code == 302  # the other one is signed out
    fresh = new_client()
    assert fresh.post_form("/login", {"email": "anna@demo.test", "password": DEMO_PASSWORD}).status_code == 401
    assert fresh.post_form("/login", {"email": "anna@demo.test",
                                      "password": "paars konijn op de fiets"}).status_code == 302
