"""docs/crypto.md is exact: its test vectors decrypt with a reader written from that page alone,
and Zegel's own code produces and reads the same bytes."""
from __future__ import annotations

import re
import struct
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zegel.crypto import envelope, stream
from zegel.crypto.keyring import Kek, Keyring

DOC = (Path(__file__).resolve().parents[2] / "docs" / "crypto.md").read_text("utf-8")
MESSAGE_ID = "00000000-0000-4000-8000-000000000002"


def vector(name: str) -> str:
    return re.search(rf"^{name}\s+(.+)$", DOC, re.M).group(1).strip()


def independent_zgs1_reader(dek: bytes, owner: str, blob: bytes) -> bytes:
    """Written from docs/crypto.md, using nothing of Zegel."""
    header = blob[:28]
    magic, version, chunk_size, salt = struct.unpack(">4sB3xI16s", header)
    assert magic == b"ZGS1" and version == 1
    key = HKDF(hashes.SHA256(), 32, salt, b"zegel/stream/v1/" + owner.encode()).derive(dek)
    body, per = blob[28:], chunk_size + 16
    chunks = [body[i:i + per] for i in range(0, len(body), per)]
    out = b""
    for i, chunk in enumerate(chunks):
        nonce = i.to_bytes(11, "big") + (b"\x01" if i == len(chunks) - 1 else b"\x00")
        out += AESGCM(key).decrypt(nonce, chunk, header)
    return out


def test_zgs1_vector():
    dek, owner = bytes.fromhex(vector("dek")), vector("owner")
    blob = bytes.fromhex(vector("stream"))
    plaintext = vector("plaintext").encode()
    assert independent_zgs1_reader(dek, owner, blob) == plaintext
    assert stream.decrypt_bytes(dek, owner, blob) == plaintext
    enc = stream.StreamEncryptor(dek, owner, int(vector("chunk size")), salt=bytes.fromhex(vector("salt")))
    assert enc.header + enc.update(plaintext) + enc.finalize() == blob


def test_wrapped_dek_and_sealed_subject_vectors():
    kek = bytes.fromhex(vector("kek"))
    wrapped = bytes.fromhex(vector("wrapped"))
    aad = f"zegel/dek/1/zegel/owner/message:{MESSAGE_ID}".encode()
    dek = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], aad)
    assert dek == bytes.fromhex(vector("dek"))
    ring = Keyring([Kek(1, kek, "2026-11-28")], 1, b"r" * 32)
    assert envelope.unwrap_dek(ring, f"message:{MESSAGE_ID}", envelope.WrappedKey(1, wrapped)) == dek

    sealed = bytes.fromhex(vector("sealed"))
    subject_aad = f"zegel/content/message:{MESSAGE_ID}/subject".encode()
    assert AESGCM(dek).decrypt(sealed[:12], sealed[12:], subject_aad).decode() == vector("subject")
    assert envelope.decrypt_field(dek, f"message:{MESSAGE_ID}", "subject", sealed).decode() == vector("subject")
