"""Small AES-256-GCM boxes for secrets kept briefly in the database (outbox payloads)."""
from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SealError(ValueError):
    """The box was altered, or opened with the wrong key or associated data."""


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, box: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(box[:NONCE_BYTES], box[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        raise SealError("sealed data could not be opened") from None
