"""Blobs as files under one directory, written to a temporary name and renamed when complete."""
from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable
from pathlib import Path

from zegel.storage.base import StorageUnavailable

_KEY = re.compile(r"^[a-z0-9][a-z0-9/_-]{0,200}$")


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # it was never created (its folder could not be made either)


class LocalBlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key) or ".." in key:
            raise ValueError(f"bad blob key {key!r}")
        return self.root / key

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        path = self._path(key)
        tmp = path.with_name(path.name + ".partial")
        size = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
                    size += len(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            _remove(tmp)
            raise StorageUnavailable(f"could not write blob: {exc.strerror}") from None
        except BaseException:  # the chunks' source failed: nothing half-written stays behind
            _remove(tmp)
            raise
        return size

    def put_file(self, key: str, source: Path) -> None:
        """Take over a finished file: a rename on the same file system, so 50 GB are not copied."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, path)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise StorageUnavailable(f"could not store blob: {exc.strerror}") from None
            with open(source, "rb") as fh:
                self.put(key, iter(lambda: fh.read(8 * 1024 * 1024), b""))
            Path(source).unlink(missing_ok=True)

    def read_at(self, key: str, offset: int, length: int) -> bytes:
        with open(self._path(key), "rb") as fh:
            fh.seek(offset)
            return fh.read(length)

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
