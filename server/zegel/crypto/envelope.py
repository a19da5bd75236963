"""Envelope encryption of message content: a random data key (DEK) per
message, AES-256-GCM with associated data naming what each ciphertext is,
and the DEK stored only wrapped by a KEK from the key ring."""
from __future__ import annotations

import os
from dataclasses import dataclass

from zegel.crypto.keyring import Keyring
from zegel.crypto.sealed import SealError, open_sealed, seal

DEK_BYTES = 32


class IntegrityError(ValueError):
    """Ciphertext was altered, moved to another record, or opened with the wrong key."""


@dataclass(frozen=True)
class WrappedKey:
    kek_id: int
    wrapped: bytes


def _dek_aad(owner: str) -> bytes:
    return f"zegel/owner/{owner}".encode()


def _field_aad(owner: str, field: str) -> bytes:
    return f"zegel/content/{owner}/{field}".encode()


def new_dek() -> bytes:
    return os.urandom(DEK_BYTES)


def wrap_dek(keyring: Keyring, owner: str, dek: bytes) -> WrappedKey:
    """``owner`` is the id of the record the key belongs to (e.g. ``message:<id>``)."""
    kek_id, wrapped = keyring.wrap(dek, _dek_aad(owner))
    return WrappedKey(kek_id, wrapped)


def unwrap_dek(keyring: Keyring, owner: str, key: WrappedKey) -> bytes:
    try:
        return keyring.unwrap(key.kek_id, key.wrapped, _dek_aad(owner))
    except SealError:
        raise IntegrityError(f"the data key of {owner} could not be unwrapped") from None


def rewrap_dek(keyring: Keyring, owner: str, key: WrappedKey) -> WrappedKey:
    """Re-wrap under the active KEK; the content itself is not touched."""
    if key.kek_id == keyring.active_kek_id:
        return key
    return wrap_dek(keyring, owner, unwrap_dek(keyring, owner, key))


def encrypt_field(dek: bytes, owner: str, field: str, plaintext: str | bytes) -> bytes:
    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    return seal(dek, data, _field_aad(owner, field))


def decrypt_field(dek: bytes, owner: str, field: str, ciphertext: bytes) -> bytes:
    try:
        return open_sealed(dek, ciphertext, _field_aad(owner, field))
    except SealError:
        raise IntegrityError(f"{field} of {owner} failed its integrity check") from None
