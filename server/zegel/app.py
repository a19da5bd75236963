"""The application factory: ``create_app(config)`` builds one Zegel app, with no I/O at import time."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from zegel.config import LANGUAGES, Config
from zegel.crypto.keyring import Keyring
from zegel.errors import register_error_handlers
from zegel.extensions import babel, csrf, db, limiter, login_manager
from zegel.security import init_input_checks, init_security_headers

LANGUAGE_COOKIE = "zegel_lang"


def create_app(config: Config | None = None, keyring: Keyring | None = None) -> Flask:
    config = config or Config.from_env()
    keyring = keyring or Keyring.load(config.keyring_path)
    here = Path(__file__).parent
    app = Flask("zegel", template_folder=str(here / "templates"), static_folder=str(here / "static"))
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app.config.update(
        ZEGEL=config,
        SECRET_KEY=config.secret_key or keyring.derive("flask-session").hex(),
        SESSION_COOKIE_NAME="zegel_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=config.https,
        SESSION_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https" if config.https else "http",
        # The CSRF token is bound to the session; a login page left open over lunch still works.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=1024 * 1024,
        BABEL_DEFAULT_LOCALE=config.default_language,
        BABEL_DEFAULT_TIMEZONE="Europe/Amsterdam",
        BABEL_TRANSLATION_DIRECTORIES=str(here / "translations"),
        RATELIMIT_ENABLED=config.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=config.ratelimit_storage_url,
        RATELIMIT_STRATEGY="moving-window",
    )
    app.extensions["zegel.keyring"] = keyring
    from zegel.storage import storage_from_config
    app.extensions["zegel.blobs"] = storage_from_config(config)
    if config.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies,
                                x_host=config.trusted_proxies)

    db.init_app(app, config.database_url)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    init_security_headers(app, https=config.https)
    init_input_checks(app)
    register_error_handlers(app)
    _register_blueprints(app, config)

    from zegel.messages.service import group_attachments
    app.jinja_env.globals["group_attachments"] = group_attachments  # used inside imported macros
    app.jinja_env.filters["filesizeformat"] = _file_size  # "314,6 MB" in Dutch, as zegel.js shows it

    @app.context_processor
    def _template_globals():
        from flask_babel import get_locale
        return {"current_language": str(get_locale()), "languages": LANGUAGES, "dev_outbox": config.dev_outbox}

    return app


def _file_size(value: int) -> str:
    from flask_babel import format_decimal
    size, unit = float(value), "B"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            break
        size /= 1000
    return f"{format_decimal(round(size, 1), format='#,##0.#')} {unit}"


def _select_locale() -> str:
    from flask import current_app, has_request_context
    if not has_request_context():
        return current_app.config["ZEGEL"].default_language
    from flask import g
    api_user = g.get("api_user")
    user = api_user if api_user is not None else current_user
    user_language = getattr(user, "language", None) if user else None
    if user_language in LANGUAGES:
        return user_language
    # The add-in's pages and calls follow Outlook's display language (?lang= and Accept-Language).
    if request.args.get("lang") in LANGUAGES:
        return request.args["lang"]
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    if request.path.startswith(("/api/", "/addin/")):
        return request.accept_languages.best_match(LANGUAGES) or current_app.config["ZEGEL"].default_language
    return current_app.config["ZEGEL"].default_language


def _register_blueprints(app: Flask, config: Config) -> None:
    from zegel.accounts import api as accounts_api
    from zegel.accounts import views as accounts_views
    from zegel.addin import admin as addin_admin
    from zegel.addin import views as addin_views
    from zegel.api import views as api_views
    from zegel.dlp import api as dlp_api
    from zegel.dlp import views as dlp_views
    from zegel.messages import api as messages_api
    from zegel.messages import views as messages_views
    from zegel.portal import views as portal_views
    from zegel.uploads import views as upload_views

    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(messages_views.bp)
    app.register_blueprint(portal_views.bp)
    app.register_blueprint(upload_views.bp)
    app.register_blueprint(accounts_api.bp)
    app.register_blueprint(messages_api.bp)
    app.register_blueprint(api_views.bp)
    app.register_blueprint(dlp_api.bp)
    app.register_blueprint(dlp_views.bp)
    app.register_blueprint(addin_views.bp)
    app.register_blueprint(addin_admin.bp)
    # Bearer tokens are not sent by the browser on its own, so the JSON API needs no CSRF token.
    csrf.exempt(accounts_api.bp)
    csrf.exempt(messages_api.bp)
    csrf.exempt(upload_views.bp)
    csrf.exempt(api_views.bp)
    csrf.exempt(dlp_api.bp)
    if config.dev_outbox:
        from zegel.delivery import views as delivery_views
        app.register_blueprint(delivery_views.bp)
