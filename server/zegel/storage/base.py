"""The blob store protocol: opaque keys, bytes in, ranges out."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class StorageUnavailable(RuntimeError):
    """The store cannot take or give data right now (disk full, server down)."""


class BlobStore(Protocol):
    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        """Store the blob completely or not at all; returns its size."""

    def read_at(self, key: str, offset: int, length: int) -> bytes: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None: ...
