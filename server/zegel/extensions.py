"""Flask extensions, created unbound here and bound in create_app."""
import ipaddress

from flask import current_app, request
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


def client_network() -> str:
    """The rate-limit key for an address: an IPv6 client owns a whole /64, so count per /64."""
    ip = client_ip()
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and not address.ipv4_mapped:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return ip


# Headers off: X-RateLimit-* would tell a guesser exactly how many tries are left;
# a 429 still says Retry-After (see errors.py).
limiter = Limiter(key_func=client_network, default_limits=[], headers_enabled=False)

def keyring():
    """This app's key ring (loaded once by create_app)."""
    return current_app.extensions["zegel.keyring"]


def blob_store():
    """This app's blob store: local directory or S3 (ZEGEL_STORAGE_URL)."""
    return current_app.extensions["zegel.blobs"]


__all__ = ["blob_store", "keyring", "babel", "client_ip", "client_network", "csrf", "db", "limiter", "login_manager"]
