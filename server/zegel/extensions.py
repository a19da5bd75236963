"""Flask extensions, created unbound here and bound in create_app."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from zegel.db import db

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def client_ip() -> str:
    # ProxyFix (ZEGEL_TRUSTED_PROXIES) has already replaced remote_addr when behind a proxy.
    return request.remote_addr or "unknown"


# Headers off: X-RateLimit-* would tell a guesser exactly how many tries are left;
# a 429 still says Retry-After (see errors.py).
limiter = Limiter(key_func=client_ip, default_limits=[], headers_enabled=False)

__all__ = ["babel", "client_ip", "csrf", "db", "limiter", "login_manager"]
