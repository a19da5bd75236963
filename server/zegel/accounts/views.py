"""Web pages: login, SMS code ("Verifieer"), logout, devices, password and language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from zegel.accounts import login as login_service
from zegel.accounts import service, sessions
from zegel.accounts.forms import LanguageForm, LoginForm, PasswordForm, PostForm, VerifyForm, require_post_form
from zegel.app import LANGUAGE_COOKIE
from zegel.errors import AppError
from zegel.extensions import client_ip, db, keyring, limiter, login_manager

bp = Blueprint("accounts", __name__)
DEVICE_COOKIE = "zegel_device"
CHALLENGE_KEY = "login_challenge"


def _hmac_key() -> bytes:
    return keyring().derive("login-codes")


def _language() -> str:
    return current_app.config["ZEGEL"].default_language


def _email_key() -> str:
    return (request.form.get("email") or "").strip().lower() or client_ip()


@login_manager.user_loader
def _load_user(session_token: str):
    return sessions.load_web_session(db.session, session_token)


@bp.before_app_request
def _login_remembered_device():
    """A browser with a valid "Onthoud mij" cookie is signed in without a password."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token or request.path.startswith(("/static/", "/api/")) or current_user.is_authenticated:
        return
    result = sessions.login_with_device(db.session, token, ip=client_ip())
    if result is None:
        g.clear_device_cookie = True
        return
    user, session_token = result
    session.clear()
    user.session_token = session_token
    login_user(user)


@bp.after_app_request
def _device_cookie(resp):
    config = current_app.config["ZEGEL"]
    if g.pop("set_device_cookie", None):
        resp.set_cookie(DEVICE_COOKIE, g.pop("device_token"), max_age=int(sessions.DEVICE_LIFETIME.total_seconds()),
                        secure=config.https, httponly=True, samesite="Lax")
    elif g.pop("clear_device_cookie", None):
        resp.delete_cookie(DEVICE_COOKIE, secure=config.https, httponly=True, samesite="Lax")
    return resp


def _safe_next(target: str | None) -> str:
    """Only a path on this site: ?next=https://evil, //evil or "/\t/evil" (browsers drop the tab)
    must not redirect anyone after login; control characters would make redirect() fail."""
    if (target and target.startswith("/") and "\\" not in target
            and not any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("messages.inbox")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
# Per address only failed attempts count, so a stranger's guesses cannot lock the owner out.
@limiter.limit("10 per 15 minutes", key_func=_email_key, methods=["POST"],
               deduct_when=lambda resp: resp.status_code == 401)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("messages.inbox"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            challenge = login_service.start_login(
                db.session, form.email.data, form.password.data, remember=form.remember.data,
                ip=client_ip(), hmac_key=_hmac_key(), language=_language())
        except AppError as exc:
            flash(str(exc.message), "error")
            status = exc.status
        else:
            session[CHALLENGE_KEY] = challenge.id
            session["login_next"] = _safe_next(request.args.get("next"))
            return redirect(url_for("accounts.verify"))
    elif request.method == "POST":
        status = 400
    form.password.data = ""
    return render_template("accounts/login.html", form=form), status


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def verify():
    challenge_id = session.get(CHALLENGE_KEY)
    if not challenge_id:
        return redirect(url_for("accounts.login"))
    form = VerifyForm()
    status = 200
    if form.validate_on_submit():
        try:
            result = login_service.complete_web_login(
                db.session, challenge_id, form.code.data, ip=client_ip(),
                user_agent=request.headers.get("User-Agent", ""), hmac_key=_hmac_key())
        except AppError as exc:
            if exc.code in ("challenge_locked", "challenge_invalid"):
                session.pop(CHALLENGE_KEY, None)
                flash(str(exc.message), "error")
                return redirect(url_for("accounts.login"), 303)
            flash(str(exc.message), "error")
            status = exc.status
        else:
            next_url = session.get("login_next")
            # A new cookie for the signed-in browser: nothing from before the login carries over.
            session.clear()
            result.user.session_token = result.session_token
            login_user(result.user)
            if result.device_token:
                g.set_device_cookie, g.device_token = True, result.device_token
            return redirect(_safe_next(next_url))
    elif request.method == "POST":
        status = 400
    form.code.data = ""
    return render_template("accounts/verify.html", form=form, resend_form=PostForm()), status


@bp.route("/login/resend", methods=["POST"])
@limiter.limit("10 per minute")
def resend():
    form = PostForm()
    challenge_id = session.get(CHALLENGE_KEY)
    if not form.validate_on_submit() or not challenge_id:
        return redirect(url_for("accounts.login"))
    try:
        login_service.resend_code(db.session, challenge_id, ip=client_ip(), hmac_key=_hmac_key(),
                                  language=_language())
    except AppError as exc:
        flash(str(exc.message), "error")
        if exc.code in ("challenge_locked", "challenge_invalid", "resend_limit"):
            session.pop(CHALLENGE_KEY, None)
            return redirect(url_for("accounts.login"))
    else:
        flash(_("A new code has been sent."), "info")
    return redirect(url_for("accounts.verify"))


@bp.route("/logout", methods=["POST"])
def logout():
    require_post_form()
    if current_user.is_authenticated:
        sessions.log_out_browser(db.session, current_user, current_user.session_token,
                                 request.cookies.get(DEVICE_COOKIE), ip=client_ip())
    logout_user()
    session.clear()
    g.clear_device_cookie = True
    flash(_("You have been logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/devices")
@login_required
def devices():
    current_device = sessions.device_of_session(db.session, current_user.session_token)
    items = sessions.list_devices(db.session, current_user, current_device)
    return render_template("accounts/devices.html", devices=items, form=PostForm())


@bp.route("/account/devices/<device_id>/revoke", methods=["POST"])
@login_required
def revoke_device(device_id: str):
    require_post_form()
    sessions.revoke_device(db.session, current_user, device_id, ip=client_ip())
    flash(_("The device has been signed out."), "info")
    return redirect(url_for("accounts.devices"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    require_post_form()
    sessions.sign_out_everywhere(db.session, current_user, ip=client_ip())
    logout_user()
    session.clear()
    g.clear_device_cookie = True
    flash(_("You have been signed out on all devices."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def password():
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.change_password(db.session, current_user, form.current.data, form.new.data, ip=client_ip(),
                                    keep_session_token=current_user.session_token)
        except AppError as exc:
            flash(str(exc.message), "error")
            status = exc.status
        else:
            g.clear_device_cookie = True
            flash(_("Your password has been changed. Other devices have been signed out."), "info")
            return redirect(url_for("accounts.password"))
    elif request.method == "POST":
        status = 400
    return render_template("accounts/password.html", form=form), status


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if not form.validate_on_submit():
        raise AppError("invalid_language", _("Choose Nederlands or English."), 400)
    if current_user.is_authenticated:
        service.set_language(db.session, current_user, form.language.data, ip=client_ip())
    resp = redirect(_safe_next(form.next.data))
    resp.set_cookie(LANGUAGE_COOKIE, form.language.data, max_age=365 * 24 * 3600,
                    secure=current_app.config["ZEGEL"].https, httponly=True, samesite="Lax")
    return resp
