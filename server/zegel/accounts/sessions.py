"""Web sessions, "Onthoud mij" device tokens and the add-in's bearer tokens.

Every token is 256 random bits handed out once and stored only as a hash,
so a copy of the database cannot be used to sign in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zegel.accounts.models import ApiToken, DeviceToken, User, WebSession
from zegel.audit.service import record
from zegel.clock import utcnow
from zegel.crypto.tokens import new_token, token_hash
from zegel.errors import AppError
from zegel.ids import new_id

WEB_SESSION_LIFETIME = timedelta(hours=12)
DEVICE_LIFETIME = timedelta(days=30)
ACCESS_LIFETIME = timedelta(hours=1)
REFRESH_LIFETIME = timedelta(hours=12)
REFRESH_LIFETIME_REMEMBER = timedelta(days=30)
REFRESH_GRACE = timedelta(seconds=10)
# Writing last_seen on every request would make every page a database write.
_TOUCH_EVERY = timedelta(minutes=5)


# --- web sessions -----------------------------------------------------------

def start_web_session(session: Session, user: User, device: DeviceToken | None = None) -> str:
    """A new session token for a browser that just proved who it is."""
    token = new_token()
    now = utcnow()
    expires = device.expires_at if device else now + WEB_SESSION_LIFETIME
    session.add(WebSession(user_id=user.id, token_hash=token_hash(token), device_id=device.id if device else None,
                           created_at=now, last_seen_at=now, expires_at=min(expires, now + WEB_SESSION_LIFETIME)))
    return token


def load_web_session(session: Session, token: str) -> User | None:
    """The user behind a session token, or None when it is unknown, expired or revoked."""
    now = utcnow()
    row = session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    user.session_token = token
    return user


def device_of_session(session: Session, token: str | None) -> str | None:
    """The remembered device a browser session came from, to mark it "this device"."""
    if not token:
        return None
    return session.scalar(select(WebSession.device_id).where(WebSession.token_hash == token_hash(token)))


def log_out_browser(session: Session, user: User, session_token: str, device_token: str | None, *,
                    ip: str = "") -> None:
    """"Uitloggen": end this browser's session and, if it was remembered, its device token,
    so the next visit asks for the password and an SMS code again."""
    now = utcnow()
    session.execute(update(WebSession).where(WebSession.token_hash == token_hash(session_token),
                                             WebSession.revoked_at.is_(None)).values(revoked_at=now))
    if device_token:
        session.execute(update(DeviceToken).where(DeviceToken.token_hash == token_hash(device_token),
                                                  DeviceToken.user_id == user.id,
                                                  DeviceToken.revoked_at.is_(None)).values(revoked_at=now))
    record(session, "logout", actor=user, subject=user.email_key, ip=ip, client="web",
           device_forgotten=bool(device_token))
    session.commit()


# --- "Onthoud mij" devices ----------------------------------------------------

def issue_device_token(session: Session, user: User, *, user_agent: str, ip: str) -> tuple[str, DeviceToken]:
    token = new_token()
    now = utcnow()
    device = DeviceToken(user_id=user.id, token_hash=token_hash(token), user_agent=user_agent[:300], ip=ip[:64],
                         created_at=now, last_used_at=now, expires_at=now + DEVICE_LIFETIME)
    session.add(device)
    session.flush()
    record(session, "device.issued", actor=user, subject=user.email_key, ip=ip, device=device.id)
    return token, device


def login_with_device(session: Session, token: str, *, ip: str) -> tuple[User, str] | None:
    """Sign a remembered browser in again: (user, new session token) or None."""
    now = utcnow()
    device = session.scalar(select(DeviceToken).where(DeviceToken.token_hash == token_hash(token)))
    if device is None or device.revoked_at is not None or device.expires_at <= now:
        return None
    user = session.get(User, device.user_id)
    if user is None or not user.active:
        return None
    device.last_used_at = now
    device.ip = ip[:64]
    session_token = start_web_session(session, user, device)
    record(session, "login.device", actor=user, subject=user.email_key, ip=ip, device=device.id)
    session.commit()
    return user, session_token


@dataclass
class DeviceView:
    id: str
    kind: str  # browser | addin
    description: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool


def list_devices(session: Session, user: User, current_device_id: str | None = None) -> list[DeviceView]:
    """Remembered browsers and add-in logins that can still sign in without a password."""
    now = utcnow()
    views = [
        DeviceView(d.id, "browser", d.user_agent, d.created_at, d.last_used_at, d.expires_at, d.id == current_device_id)
        for d in session.scalars(select(DeviceToken).where(
            DeviceToken.user_id == user.id, DeviceToken.revoked_at.is_(None), DeviceToken.expires_at > now,
        ).order_by(DeviceToken.last_used_at.desc()))
    ]
    families = session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.kind == "refresh", ApiToken.revoked_at.is_(None),
        ApiToken.used_at.is_(None), ApiToken.expires_at > now,
    ).order_by(ApiToken.created_at.desc()))
    views += [DeviceView(t.family, "addin", "Outlook", t.created_at, t.created_at, t.expires_at, False)
              for t in families]
    return views


def revoke_device(session: Session, user: User, device_id: str, *, ip: str = "") -> None:
    """End one remembered browser (and its sessions) or one add-in login."""
    now = utcnow()
    device = session.scalar(select(DeviceToken).where(DeviceToken.id == device_id, DeviceToken.user_id == user.id))
    if device is not None:
        device.revoked_at = device.revoked_at or now
        session.execute(update(WebSession).where(WebSession.device_id == device.id, WebSession.revoked_at.is_(None))
                        .values(revoked_at=now))
    else:
        count = session.execute(update(ApiToken).where(
            ApiToken.family == device_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
        ).values(revoked_at=now)).rowcount
        if not count:
            raise AppError("not_found", _l("This device is not (or no longer) signed in."), 404)
    record(session, "device.revoked", actor=user, subject=user.email_key, ip=ip, device=device_id)
    session.commit()


def revoke_all(session: Session, user: User, *, keep_session_token: str | None = None) -> None:
    """Every session, device and add-in token of the user, except optionally the current browser session."""
    now = utcnow()
    query = update(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
    if keep_session_token:
        query = query.where(WebSession.token_hash != token_hash(keep_session_token))
    session.execute(query.values(revoked_at=now))
    if keep_session_token:
        # The kept session must not outlive the device it came from.
        session.execute(update(WebSession).where(WebSession.token_hash == token_hash(keep_session_token))
                        .values(device_id=None))
    session.execute(update(DeviceToken).where(DeviceToken.user_id == user.id, DeviceToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))


def sign_out_everywhere(session: Session, user: User, *, ip: str = "") -> None:
    revoke_all(session, user)
    record(session, "session.signed_out_everywhere", actor=user, subject=user.email_key, ip=ip)
    session.commit()


# --- add-in bearer tokens -------------------------------------------------------

def _issue_pair(session: Session, user: User, family: str, remember: bool, refresh_expires: datetime) -> dict:
    now = utcnow()
    access, refresh = new_token(), new_token()
    access_expires = min(now + ACCESS_LIFETIME, refresh_expires)
    session.add_all([
        ApiToken(user_id=user.id, family=family, kind="access", token_hash=token_hash(access),
                 remember=remember, created_at=now, expires_at=access_expires),
        ApiToken(user_id=user.id, family=family, kind="refresh", token_hash=token_hash(refresh),
                 remember=remember, created_at=now, expires_at=refresh_expires),
    ])
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": int((access_expires - now).total_seconds()),
        "refresh_expires_in": int((refresh_expires - now).total_seconds()),
    }


def issue_api_tokens(session: Session, user: User, *, remember: bool) -> dict:
    """A new add-in login. Its refresh tokens end 30 days (remember) or 12 hours
    after the login, however often they are rotated."""
    lifetime = REFRESH_LIFETIME_REMEMBER if remember else REFRESH_LIFETIME
    return _issue_pair(session, user, new_id(), remember, utcnow() + lifetime)


_INVALID_REFRESH = ("invalid_token", _l("This sign-in has ended. Please log in again."), 401)


def refresh_api_tokens(session: Session, refresh_token: str, *, ip: str = "") -> dict:
    """Rotate: the refresh token is spent and a new pair issued. Presenting a
    spent refresh token again means it was copied, so the whole login ends."""
    now = utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(refresh_token or ""),
                                                ApiToken.kind == "refresh").with_for_update())
    if row is None:
        raise AppError(*_INVALID_REFRESH)
    user = session.get(User, row.user_id)
    if row.used_at is not None and now - row.used_at < REFRESH_GRACE:
        # A double submit or a retry of a refresh that just succeeded: refuse it, but don't
        # treat it as theft, or one retry would sign the add-in out.
        raise AppError(*_INVALID_REFRESH)
    if row.used_at is not None:
        session.execute(update(ApiToken).where(ApiToken.family == row.family, ApiToken.revoked_at.is_(None))
                        .values(revoked_at=now))
        record(session, "api.refresh_reused", actor=user, subject=user.email_key if user else "", ip=ip,
               family=row.family)
        session.commit()
        raise AppError(*_INVALID_REFRESH)
    if row.revoked_at is not None or row.expires_at <= now or user is None or not user.active:
        raise AppError(*_INVALID_REFRESH)
    row.used_at = now
    # The previous access token ends with the rotation.
    session.execute(update(ApiToken).where(ApiToken.family == row.family, ApiToken.kind == "access",
                                           ApiToken.revoked_at.is_(None)).values(revoked_at=now))
    pair = _issue_pair(session, user, row.family, row.remember, row.expires_at)
    session.commit()
    return pair


def authenticate_access_token(session: Session, token: str) -> User | None:
    now = utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token), ApiToken.kind == "access"))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    user.api_family = row.family
    return user


def end_api_login(session: Session, user: User, family: str, *, ip: str = "") -> None:
    session.execute(update(ApiToken).where(ApiToken.family == family, ApiToken.user_id == user.id,
                                           ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
    record(session, "logout", actor=user, subject=user.email_key, ip=ip, client="api")
    session.commit()
