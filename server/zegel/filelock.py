"""An exclusive lock on a lock file, shared by every process on the machine (flock)."""
from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True):
    """Hold ``path`` (created if needed) exclusively; with ``wait=False`` raise BlockingIOError when taken."""
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
