"""JSON login for the add-in: /auth/login, /auth/verify, /auth/refresh, /auth/logout, /me, /settings."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _

from zegel.accounts import login as login_service
from zegel.accounts import service as accounts_service
from zegel.accounts import sessions
from zegel.accounts.schemas import json_body
from zegel.accounts.views import _hmac_key
from zegel.api.auth import bearer_required
from zegel.errors import AppError, not_a_json_object, wrong_type
from zegel.extensions import client_ip, db, limiter

bp = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


def _email_key() -> str:
    data = request.get_json(silent=True)
    email = data.get("email") if isinstance(data, dict) else None
    return email.strip().lower() if isinstance(email, str) and email.strip() else client_ip()


@bp.post("/auth/login")
@limiter.limit("30 per minute")
@limiter.limit("10 per 15 minutes", key_func=_email_key, deduct_when=lambda resp: resp.status_code == 401)
def login():
    body = json_body("email", "password", optional={"remember": bool})
    challenge = login_service.start_login(
        db.session, body["email"], body["password"], remember=bool(body["remember"]), ip=client_ip(),
        hmac_key=_hmac_key(), language=current_app.config["ZEGEL"].default_language)
    return jsonify(challenge_id=challenge.id, channel="sms", expires_at=challenge.expires_at.isoformat())


@bp.post("/auth/verify")
@limiter.limit("30 per minute")
def verify():
    body = json_body("challenge_id", "code", optional={"remember": bool})
    tokens = login_service.complete_api_login(db.session, body["challenge_id"], body["code"], ip=client_ip(),
                                              hmac_key=_hmac_key(), remember=body["remember"])
    return jsonify(tokens)


@bp.post("/auth/resend")
@limiter.limit("10 per minute")
def resend():
    body = json_body("challenge_id")
    challenge = login_service.resend_code(db.session, body["challenge_id"], ip=client_ip(), hmac_key=_hmac_key(),
                                          language=current_app.config["ZEGEL"].default_language)
    return jsonify(challenge_id=challenge.id, channel="sms", expires_at=challenge.expires_at.isoformat())


@bp.post("/auth/refresh")
@limiter.limit("60 per minute")
def refresh():
    body = json_body("refresh_token")
    return jsonify(sessions.refresh_api_tokens(db.session, body["refresh_token"], ip=client_ip()))


@bp.post("/auth/logout")
@bearer_required
def logout():
    sessions.end_api_login(db.session, g.api_user, g.api_user.api_family, ip=client_ip())
    return "", 204


@bp.get("/me")
@bearer_required
def me():
    user = g.api_user
    personal = {"id": user.id, "email": user.email, "name": user.name, "kind": "personal"}
    return jsonify(
        id=user.id, email=user.email, name=user.name, role=user.role, language=user.language,
        organisation={"id": user.organisation.id, "name": user.organisation.name},
        # Group accounts and delegations join this list in a later issue.
        accounts=[personal],
        settings=accounts_service.settings_json(user),
        # The verification the add-in pre-selects for a recipient the user has no default for.
        org_default=user.organisation.default_verification,
    )


@bp.get("/settings")
@bearer_required
def get_settings():
    return jsonify(accounts_service.settings_json(g.api_user))


SETTINGS = {"save_sent_unencrypted": bool}


@bp.put("/settings")
@bearer_required
@limiter.limit("30 per minute")
def put_settings():
    """Replace the user's settings: every field is required, an unknown one is refused (a typo must
    not look saved)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise not_a_json_object()
    for name in data:
        if name not in SETTINGS:
            raise AppError("invalid_field", _("The field '%(name)s' is unknown.", name=name[:100]), 400)
    for name, kind in SETTINGS.items():
        if not isinstance(data.get(name), kind):
            raise wrong_type(name)
    accounts_service.set_save_sent_unencrypted(db.session, g.api_user, data["save_sent_unencrypted"],
                                               ip=client_ip())
    return jsonify(accounts_service.settings_json(g.api_user))
