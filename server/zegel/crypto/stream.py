"""Chunked AEAD stream for attachments (format ZGS1, specified in docs/crypto.md).

    header  = "ZGS1" | version u8 (1) | 3 zero bytes | chunk size u32 BE | salt (16 bytes)
    key     = HKDF-SHA256(DEK, salt, info = "zegel/stream/v1/" + owner)
    chunk i = AES-256-GCM(key, nonce = i as u88 BE ‖ last flag u8, plaintext[i], aad = header)

Every chunk but the last holds exactly ``chunk size`` bytes; the last one
(flag 1) may be shorter or empty. Truncation, reordering and appending are
detected because the counter and the last-chunk flag are in the nonce. A
range of plaintext is read by decrypting only the chunks it touches.
"""
from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zegel.crypto.envelope import IntegrityError

MAGIC = b"ZGS1"
VERSION = 1
CHUNK_SIZE = 64 * 1024
READ_BATCH = 1024 * 1024  # bytes read from storage at once when decrypting
TAG = 16
HEADER = struct.Struct(">4sB3xI16s")


def _key(dek: bytes, salt: bytes, owner: str) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"zegel/stream/v1/" + owner.encode())
    return AESGCM(hkdf.derive(dek))


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _chunks(plain_size: int, chunk_size: int) -> int:
    return max(1, -(-plain_size // chunk_size))  # an empty file is one empty final chunk


def encrypted_size(plain_size: int, chunk_size: int = CHUNK_SIZE) -> int:
    return HEADER.size + plain_size + _chunks(plain_size, chunk_size) * TAG


def new_header(chunk_size: int = CHUNK_SIZE, salt: bytes | None = None) -> bytes:
    return HEADER.pack(MAGIC, VERSION, chunk_size, salt or os.urandom(16))


class ChunkCipher:
    """Encrypts chunk *i* of a stream whose header already exists: lets a resumable upload
    continue a stream across requests, knowing from the total size which chunk is last."""

    def __init__(self, dek: bytes, owner: str, header: bytes):
        self.chunk_size, self.header = _parse_header(header)
        self._aead = _key(dek, self.header[-16:], owner)

    def encrypt(self, index: int, plaintext: bytes, last: bool) -> bytes:
        return self._aead.encrypt(_nonce(index, last), plaintext, self.header)

    def offset_of(self, index: int) -> int:
        """Where chunk ``index`` starts in the encrypted file."""
        return HEADER.size + index * (self.chunk_size + TAG)


class StreamEncryptor:
    """Feed plaintext in pieces; complete chunks come out as soon as the next byte shows they are not the last."""

    def __init__(self, dek: bytes, owner: str, chunk_size: int = CHUNK_SIZE, salt: bytes | None = None):
        self.chunk_size = chunk_size
        self.header = new_header(chunk_size, salt)
        self._cipher = ChunkCipher(dek, owner, self.header)
        self._buffer = bytearray()
        self._index = 0
        self._done = False

    def update(self, data: bytes) -> bytes:
        assert not self._done, "stream already finalised"
        self._buffer += data
        out = bytearray()
        # Keep at least one byte back: only finalize() may write the last chunk.
        while len(self._buffer) > self.chunk_size:
            chunk = bytes(self._buffer[:self.chunk_size])
            del self._buffer[:self.chunk_size]
            out += self._cipher.encrypt(self._index, chunk, False)
            self._index += 1
        return bytes(out)

    def finalize(self) -> bytes:
        self._done = True
        out = self._cipher.encrypt(self._index, bytes(self._buffer), True)
        self._buffer.clear()
        return out


def encrypt_bytes(dek: bytes, owner: str, data: bytes, chunk_size: int = CHUNK_SIZE) -> bytes:
    enc = StreamEncryptor(dek, owner, chunk_size)
    return enc.header + enc.update(data) + enc.finalize()


def _parse_header(raw: bytes) -> tuple[int, bytes]:
    if len(raw) < HEADER.size:
        raise IntegrityError("stream header is truncated")
    magic, version, chunk_size, _salt = HEADER.unpack(raw[:HEADER.size])
    if magic != MAGIC or version != VERSION or not 16 <= chunk_size <= 16 * 1024 * 1024:
        raise IntegrityError("not a Zegel stream, or an unknown version")
    return chunk_size, raw[:HEADER.size]


def plaintext_size(encrypted_size_: int, chunk_size: int) -> int:
    body = encrypted_size_ - HEADER.size
    per = chunk_size + TAG
    full, rest = divmod(body, per)
    if rest == 0 and full > 0:
        return full * chunk_size  # the last chunk is a full one
    if rest < TAG:
        raise IntegrityError("stream length is impossible")
    return full * chunk_size + rest - TAG


def decrypt_range(read_at: Callable[[int, int], bytes], total_size: int, dek: bytes, owner: str,
                  start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Plaintext bytes [start, end) of an encrypted blob of ``total_size`` bytes.
    ``read_at(offset, length)`` reads the blob. Only the chunks touched are decrypted."""
    header = read_at(0, HEADER.size)
    chunk_size, header = _parse_header(header)
    size = plaintext_size(total_size, chunk_size)
    end = size if end is None else min(end, size)
    if start >= end and size:
        return
    aead = _key(dek, header[-16:], owner)
    last_index = _chunks(size, chunk_size) - 1
    first = start // chunk_size
    stop = min(last_index, (end - 1) // chunk_size) if size else 0
    per = chunk_size + TAG
    batch = max(1, READ_BATCH // per)  # one storage read for several chunks: far fewer round trips
    for batch_start in range(first, stop + 1, batch):
        batch_stop = min(stop, batch_start + batch - 1)
        offset = HEADER.size + batch_start * per
        data = memoryview(read_at(offset, min((batch_stop - batch_start + 1) * per, total_size - offset)))
        parts = []
        for index in range(batch_start, batch_stop + 1):
            piece = data[(index - batch_start) * per:(index - batch_start + 1) * per]
            try:
                plain = aead.decrypt(_nonce(index, index == last_index), piece, header)
            except InvalidTag:
                raise IntegrityError(f"chunk {index} failed its integrity check") from None
            lo = start - index * chunk_size if index == first else 0
            hi = min(len(plain), end - index * chunk_size)
            if hi > lo:
                parts.append(plain[lo:hi])
        # One piece per batch: a web server writes each piece with its own system call, and
        # 64 KiB writes cost a third of the download speed.
        yield b"".join(parts)


def decrypt_blob(store, key: str, dek: bytes, owner: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Plaintext bytes [start, end) of the blob ``key`` in a blob store (anything with ``size`` and
    ``read_at``); storage is first touched when the iterator is."""
    total = store.size(key)
    yield from decrypt_range(lambda o, n: store.read_at(key, o, n), total, dek, owner, start, end)


def decrypt_bytes(dek: bytes, owner: str, blob: bytes) -> bytes:
    return b"".join(decrypt_range(lambda o, n: blob[o:o + n], len(blob), dek, owner))
