"""The ZGS1 attachment stream: round trips, ranges, and every kind of tampering."""
from __future__ import annotations

import os

import pytest

from zegel.crypto import stream
from zegel.crypto.envelope import IntegrityError

DEK = bytes(range(32))


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 48, 100])
def test_round_trip_and_every_range(size):
    data = os.urandom(size)
    blob = stream.encrypt_bytes(DEK, "attachment:a", data, chunk_size=16)
    assert len(blob) == stream.encrypted_size(size, 16)
    assert stream.decrypt_bytes(DEK, "attachment:a", blob) == data
    for start in range(0, size + 1):
        for end in range(start, size + 2):
            got = b"".join(stream.decrypt_range(lambda o, n: blob[o:o + n], len(blob), DEK, "attachment:a", start, end))
            assert got == data[start:end]


def test_a_range_decrypts_only_the_chunks_it_touches():
    data = os.urandom(64 * 10)
    blob = stream.encrypt_bytes(DEK, "attachment:a", data, chunk_size=64)
    reads = []

    def read_at(offset, length):
        reads.append((offset, length))
        return blob[offset:offset + length]

    got = b"".join(stream.decrypt_range(read_at, len(blob), DEK, "attachment:a", 200, 260))
    assert got == data[200:260]
    per = 64 + 16
    # The header, then chunks 3 and 4 only (in one read), nothing else of the file.
    assert reads == [(0, stream.HEADER.size), (stream.HEADER.size + 3 * per, 2 * per)]


def tamper(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 1]) + blob[index + 1:]


@pytest.mark.parametrize("change", [
    lambda b: tamper(b, 5),                      # header (chunk size)
    lambda b: tamper(b, 20),                     # header (salt)
    lambda b: tamper(b, stream.HEADER.size + 3),  # first chunk
    lambda b: tamper(b, len(b) - 1),             # last tag
    lambda b: b[:stream.HEADER.size + 32],       # truncated after a whole chunk
    lambda b: b[:-1],                            # truncated inside the last chunk
    lambda b: b + b[-32:],                       # a chunk appended
    lambda b: b[:stream.HEADER.size] + b[stream.HEADER.size + 32:stream.HEADER.size + 64]
              + b[stream.HEADER.size:stream.HEADER.size + 32] + b[stream.HEADER.size + 64:],  # chunks swapped
])
def test_tampering_is_an_integrity_error_never_garbage(change):
    blob = stream.encrypt_bytes(DEK, "attachment:a", os.urandom(50), chunk_size=16)
    with pytest.raises(IntegrityError):
        stream.decrypt_bytes(DEK, "attachment:a", change(blob))


def test_a_blob_moved_to_another_attachment_does_not_open():
    blob = stream.encrypt_bytes(DEK, "attachment:a", b"hello")
    with pytest.raises(IntegrityError):
        stream.decrypt_bytes(DEK, "attachment:b", blob)


def test_streaming_encryption_equals_one_shot():
    data = os.urandom(1000)
    enc = stream.StreamEncryptor(DEK, "attachment:a", 64, salt=b"s" * 16)
    pieces = [enc.update(data[i:i + 7]) for i in range(0, 1000, 7)]
    blob = enc.header + b"".join(pieces) + enc.finalize()
    assert stream.decrypt_bytes(DEK, "attachment:a", blob) == data
