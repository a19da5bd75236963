"""Random tokens and one-time codes, and the only forms in which they are stored."""
from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # A 256-bit random token cannot be brute-forced, so a plain hash suffices.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"


def code_hmac(key: bytes, challenge_id: str, code: str) -> str:
    # Six digits are guessable offline, so codes are keyed and bound to their challenge.
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
