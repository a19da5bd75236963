"""Two-step login: password, then a 6-digit code sent by SMS.

Codes live 10 minutes, are single use, allow 5 attempts and are stored only
as an HMAC keyed from the key ring. The same service serves the web pages
and the add-in's JSON API.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zegel.accounts import passwords, sessions
from zegel.accounts.models import LoginChallenge, User
from zegel.accounts.service import find_user_by_email
from zegel.audit.service import record
from zegel.clock import utcnow
from zegel.crypto.tokens import code_hmac, constant_time_equal, new_code
from zegel.delivery import outbox
from zegel.errors import AppError

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_SENDS = 4  # the first SMS and three resends
RESEND_INTERVAL = timedelta(seconds=30)
MAX_CHALLENGES_PER_HOUR = 10  # per account: caps SMS cost when a password leaks

BAD_LOGIN = ("invalid_credentials", _l("The e-mail address or password is not correct."), 401)


def _send_code(session: Session, user: User, challenge: LoginChallenge, hmac_key: bytes, language: str) -> None:
    code = new_code()
    challenge.code_hmac = code_hmac(hmac_key, challenge.id, code)
    with force_locale(user.language or language):
        text = gettext("Your Zegel login code is %(code)s. It is valid for 10 minutes. "
                       "Never share this code.", code=code)
    outbox.enqueue(session, "sms", {"to": user.phone, "text": text}, reference=f"login:{challenge.id}")


def start_login(session: Session, email: str, password: str, *, remember: bool, ip: str,
                hmac_key: bytes, language: str) -> LoginChallenge:
    """Check the password and send a code; the same error for every kind of failure."""
    user = find_user_by_email(session, email or "") if email else None
    stored_hash = user.password_hash if user else None
    # End the read before the deliberately slow hash, so no database lock is held during it.
    session.rollback()
    ok = passwords.verify_password(stored_hash, password or "")
    if user is not None:
        # Re-read and lock the account row: concurrent logins then count challenges one at a time.
        user = session.scalar(select(User).where(User.id == user.id).with_for_update())
    if not ok or user is None or not user.active:
        record(session, "login.failed", actor=user, subject=(email or "")[:320].lower(), ip=ip,
               reason="password" if user else "unknown_user")
        session.commit()
        raise AppError(*BAD_LOGIN)
    now = utcnow()
    recent = session.scalar(select(func.count()).select_from(LoginChallenge).where(
        LoginChallenge.user_id == user.id, LoginChallenge.created_at > now - timedelta(hours=1)))
    if recent >= MAX_CHALLENGES_PER_HOUR:
        record(session, "login.sms_limit", actor=user, subject=user.email_key, ip=ip)
        session.commit()
        raise AppError("rate_limited", _l("Too many login codes were requested for this account. "
                                          "Try again in an hour."), 429, retry_after=3600)
    if passwords.needs_rehash(stored_hash):
        user.password_hash = passwords.hash_password(password)
    challenge = LoginChallenge(user_id=user.id, remember=remember, code_hmac="", created_at=now,
                               expires_at=now + CODE_LIFETIME, sent_at=now)
    session.add(challenge)
    session.flush()
    _send_code(session, user, challenge, hmac_key, language)
    record(session, "login.password_ok", actor=user, subject=user.email_key, ip=ip, challenge=challenge.id)
    session.commit()
    return challenge


def _open_challenge(session: Session, challenge_id: str | None) -> LoginChallenge:
    challenge = session.scalar(select(LoginChallenge).where(LoginChallenge.id == (challenge_id or ""))
                               .with_for_update()) if challenge_id else None
    if challenge is None or challenge.used_at is not None:
        raise AppError("challenge_invalid", _l("This login attempt has ended. Log in again."), 400)
    if challenge.attempts >= MAX_ATTEMPTS:
        raise AppError("challenge_locked", _l("Too many wrong codes. Log in again to receive a new code."), 400)
    return challenge


def resend_code(session: Session, challenge_id: str, *, ip: str, hmac_key: bytes, language: str) -> LoginChallenge:
    """A fresh code (the old one stops working), at most every 30 s and 3 times."""
    challenge = _open_challenge(session, challenge_id)
    now = utcnow()
    if challenge.sends >= MAX_SENDS:
        raise AppError("resend_limit", _l("No more codes can be sent for this login. Log in again."), 429)
    wait = int((challenge.sent_at + RESEND_INTERVAL - now).total_seconds())
    if wait > 0:
        raise AppError("resend_too_soon", _l("Wait %(s)d seconds before asking for a new code.", s=wait), 429,
                       retry_after=wait)
    user = session.get(User, challenge.user_id)
    challenge.sends += 1
    challenge.sent_at = now
    challenge.expires_at = now + CODE_LIFETIME
    _send_code(session, user, challenge, hmac_key, language)
    record(session, "login.code_resent", actor=user, subject=user.email_key, ip=ip, challenge=challenge.id)
    session.commit()
    return challenge


def _check_code(session: Session, challenge_id: str, code: str, *, ip: str, hmac_key: bytes) -> tuple[User, bool]:
    """(user, remember) when the code is right; every wrong try is counted and audited."""
    challenge = _open_challenge(session, challenge_id)
    user = session.get(User, challenge.user_id)
    now = utcnow()
    if challenge.expires_at <= now:
        record(session, "login.code_failed", actor=user, subject=user.email_key, ip=ip, reason="expired")
        session.commit()
        raise AppError("code_expired", _l("This code has expired. Ask for a new code."), 400)
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6
            and constant_time_equal(code_hmac(hmac_key, challenge.id, code), challenge.code_hmac)):
        challenge.attempts += 1
        left = MAX_ATTEMPTS - challenge.attempts
        record(session, "login.code_failed", actor=user, subject=user.email_key, ip=ip, reason="wrong",
               attempts=challenge.attempts)
        session.commit()
        if left <= 0:
            raise AppError("challenge_locked", _l("Too many wrong codes. Log in again to receive a new code."), 400)
        raise AppError("invalid_code", _l("This code is not correct. %(n)d attempts left.", n=left), 400)
    if not user.active:
        raise AppError(*BAD_LOGIN)
    challenge.used_at = now
    record(session, "login.success", actor=user, subject=user.email_key, ip=ip, remember=challenge.remember)
    return user, challenge.remember


@dataclass
class WebLogin:
    user: User
    session_token: str
    device_token: str | None


def complete_web_login(session: Session, challenge_id: str, code: str, *, ip: str, user_agent: str,
                       hmac_key: bytes) -> WebLogin:
    """Right code: a new browser session, plus a device token when "Onthoud mij" was ticked."""
    user, remember = _check_code(session, challenge_id, code, ip=ip, hmac_key=hmac_key)
    device_token, device = sessions.issue_device_token(session, user, user_agent=user_agent, ip=ip) \
        if remember else (None, None)
    session_token = sessions.start_web_session(session, user, device)
    session.commit()
    return WebLogin(user, session_token, device_token)


def complete_api_login(session: Session, challenge_id: str, code: str, *, ip: str, hmac_key: bytes,
                       remember: bool | None = None) -> dict:
    """Right code: bearer tokens for the add-in. ``remember`` may be given here
    (the add-in asks at this step) or with the password."""
    user, remembered = _check_code(session, challenge_id, code, ip=ip, hmac_key=hmac_key)
    tokens = sessions.issue_api_tokens(session, user, remember=remembered if remember is None else remember)
    session.commit()
    return tokens
