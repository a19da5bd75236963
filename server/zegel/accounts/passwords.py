"""Password hashing (argon2id, OWASP parameters) and the minimum-strength rule."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from zegel.errors import AppError

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline attacks"

# Verified against when the account does not exist, so an unknown e-mail
# address costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("zegel-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError, UnicodeError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def check_strength(password: str, user_inputs: list[str]) -> None:
    """Raise ``weak_password`` with a hint the user can act on."""
    if len(password) < MIN_LENGTH:
        raise AppError("weak_password", _l("Use at least %(n)d characters.", n=MIN_LENGTH), 400)
    if len(password) > MAX_LENGTH:
        raise AppError("weak_password", _l("Use at most %(n)d characters.", n=MAX_LENGTH), 400)
    # zxcvbn is slow on very long input and long passwords are strong anyway.
    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if result["score"] < MIN_SCORE:
        raise AppError(
            "weak_password",
            _l("This password is too easy to guess. Add words or characters that belong together "
               "only for you, and avoid your name or e-mail address."),
            400,
        )
