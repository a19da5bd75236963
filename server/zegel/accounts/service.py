"""Organisations and users: creation, e-mail and phone validation, password change."""
from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zegel.accounts import passwords
from zegel.accounts.models import ROLES, Organisation, User
from zegel.audit.service import record
from zegel.clock import utcnow
from zegel.errors import AppError

DEFAULT_REGION = "NL"


def normalise_email(raw: str) -> tuple[str, str]:
    """(address as typed but tidied, lower-case key) or ``invalid_email``."""
    try:
        # test_environment admits the reserved .test domain (demo accounts); other
        # special-use domains (localhost, .invalid, …) stay refused.
        result = validate_email((raw or "").strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise AppError("invalid_email", _l("Enter a valid e-mail address, such as name@example.nl."), 400) from None
    return result.normalized, result.normalized.lower()


def parse_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a phone number, Dutch numbers allowed without +31."""
    try:
        number = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise AppError("invalid_phone",
                       _l("Enter a valid phone number, such as 06 12345678 or +31 6 12345678."), 400)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_mobile(raw: str, region: str = DEFAULT_REGION) -> str:
    """Like ``parse_phone`` but the number must be able to receive SMS."""
    e164 = parse_phone(raw, region)
    kind = phonenumbers.number_type(phonenumbers.parse(e164))
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise AppError("invalid_phone", _l("Enter a mobile number: login codes are sent by SMS."), 400)
    return e164


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email_key == email.strip().lower()))


def create_organisation(session: Session, name: str) -> Organisation:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise AppError("invalid_name", _l("Give the organisation a name of at most 200 characters."), 400)
    if session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.lower())):
        raise AppError("organisation_exists", _l("An organisation with this name already exists."), 409)
    org = Organisation(name=name)
    session.add(org)
    session.flush()
    from zegel.dlp.rules import install_defaults
    install_defaults(session, org.id)  # every organisation starts with the shipped DLP rules
    record(session, "organisation.created", organisation_id=org.id, subject=name)
    session.commit()
    return org


def create_user(session: Session, organisation: Organisation, *, name: str, email: str, phone: str,
                password: str, role: str = "user") -> User:
    """Validate everything first, so a bad value leaves nothing behind."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise AppError("invalid_name", _l("Enter a name of at most 200 characters."), 400)
    display, key = normalise_email(email)
    e164 = parse_mobile(phone)
    if role not in ROLES:
        raise AppError("invalid_role", _l("Role must be admin or user."), 400)
    passwords.check_strength(password, [name, display, *display.split("@")])
    if find_user_by_email(session, key):
        raise AppError("email_taken", _l("An account with this e-mail address already exists."), 409)
    user = User(organisation=organisation, name=name, email=display, email_key=key, phone=e164,
                role=role, password_hash=passwords.hash_password(password))
    session.add(user)
    session.flush()
    record(session, "user.created", organisation_id=organisation.id, subject=key, role=role)
    session.commit()
    return user


def change_password(session: Session, user: User, current: str, new: str, *, ip: str = "",
                    keep_session_token: str | None = None) -> None:
    """Change the password and sign out every other browser, device and add-in."""
    from zegel.accounts import sessions  # sessions imports this module's users

    stored_hash, name, email = user.password_hash, user.name, user.email
    session.rollback()  # no database lock during the slow hashes below
    if not passwords.verify_password(stored_hash, current):
        record(session, "password.change_failed", actor=user, subject=user.email_key, ip=ip)
        session.commit()
        raise AppError("wrong_password", _l("Your current password is not correct."), 400)
    if new == current:
        raise AppError("weak_password", _l("Choose a password that differs from the current one."), 400)
    passwords.check_strength(new, [name, email, *email.split("@")])
    new_hash = passwords.hash_password(new)
    user.password_hash = new_hash
    user.password_changed_at = utcnow()
    sessions.revoke_all(session, user, keep_session_token=keep_session_token)
    record(session, "password.changed", actor=user, subject=user.email_key, ip=ip)
    session.commit()


def set_language(session: Session, user: User, language: str, *, ip: str = "") -> None:
    user.language = language
    record(session, "settings.language", actor=user, subject=user.email_key, ip=ip, language=language)
    session.commit()


def settings_json(user: User) -> dict:
    """The user's own settings, as the add-in reads and writes them."""
    return {"save_sent_unencrypted": user.save_sent_unencrypted}


def set_save_sent_unencrypted(session: Session, user: User, value: bool, *, ip: str = "") -> None:
    """Keep (or stop keeping) a decrypted copy of sent secure messages in Outlook; audited when it changes."""
    if user.save_sent_unencrypted != value:
        user.save_sent_unencrypted = value
        record(session, "settings.save_sent_unencrypted", actor=user, subject=user.email_key, ip=ip,
               value=value)
    session.commit()
