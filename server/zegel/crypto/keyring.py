"""The key ring file: versioned key-encryption keys and a root key for MACs.

Created once by ``zegel init`` with mode 0600. Purpose keys (session signing,
code HMACs, outbox sealing) are derived from the root with HKDF so one secret
file serves every node of an installation.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zegel.crypto.sealed import open_sealed, seal
from zegel.filelock import locked

FORMAT = 1


class KeyringError(RuntimeError):
    """The key ring is missing, unreadable or malformed."""


@dataclass(frozen=True)
class Kek:
    id: int
    key: bytes
    created_at: str


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Keyring:
    def __init__(self, keks: list[Kek], active_kek: int, root_key: bytes):
        keks_by_id = {k.id: k for k in keks}
        if active_kek not in keks_by_id:
            raise KeyringError(f"active KEK {active_kek} is not in the key ring")
        # One tuple, replaced whole: a request thread never sees new KEKs with an old active id.
        self._state: tuple[dict[int, Kek], int] = (keks_by_id, active_kek)
        self._root_key = root_key
        self.path: Path | None = None
        self._mtime: int | None = None

    @property
    def keks(self) -> dict[int, Kek]:
        return self._state[0]

    @property
    def active_kek_id(self) -> int:
        return self._state[1]

    @property
    def active_kek(self) -> Kek:
        keks, active = self._state
        return keks[active]

    def derive(self, purpose: str, length: int = 32) -> bytes:
        """A key for one purpose, independent of every other purpose's key."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                    info=b"zegel/" + purpose.encode("ascii"))
        return hkdf.derive(self._root_key)

    @classmethod
    def load(cls, path: Path) -> Keyring:
        try:
            raw = json.loads(Path(path).read_text("utf-8"))
            if raw.get("format") != FORMAT:
                raise KeyringError(f"{path}: unknown key ring format {raw.get('format')!r}")
            keks = [Kek(int(k["id"]), base64.b64decode(k["key"]), k["created_at"]) for k in raw["keks"]]
            root = base64.b64decode(raw["root_key"])
        except FileNotFoundError:
            raise KeyringError(f"{path}: key ring not found; run `zegel init` first") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"{path}: unreadable key ring ({exc})") from None
        if len(root) != 32 or any(len(k.key) != 32 for k in keks):
            raise KeyringError(f"{path}: keys must be 32 bytes")
        ring = cls(keks, int(raw["active_kek"]), root)
        ring.path = Path(path)
        ring._mtime = ring.path.stat().st_mtime_ns
        return ring

    def wrap(self, dek: bytes, aad: bytes) -> tuple[int, bytes]:
        """Wrap a data key under the active KEK: (kek id, nonce ‖ ciphertext)."""
        self._refresh()  # `zegel keys rotate` in another process: wrap with the new KEK at once
        kek = self.active_kek
        return kek.id, seal(kek.key, dek, b"zegel/dek/%d/" % kek.id + aad)

    def unwrap(self, kek_id: int, wrapped: bytes, aad: bytes) -> bytes:
        if kek_id not in self.keks:
            self._refresh()
        kek = self.keks.get(kek_id)
        if kek is None:
            raise KeyringError(f"KEK {kek_id} is not in the key ring (retired too early?)")
        return open_sealed(kek.key, wrapped, b"zegel/dek/%d/" % kek.id + aad)

    def _refresh(self) -> None:
        """Re-read the file if it changed since it was loaded (a stat per call; cheap)."""
        if self.path is None:
            return
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            return
        if mtime != self._mtime:
            fresh = Keyring.load(self.path)
            self._state, self._mtime = fresh._state, fresh._mtime

    def save(self, path: Path) -> None:
        """Write atomically with mode 0600, so a crash never leaves half a key ring."""
        path = Path(path)
        doc = {
            "format": FORMAT,
            "active_kek": self.active_kek_id,
            "keks": [{"id": k.id, "key": _b64(k.key), "created_at": k.created_at}
                     for k in sorted(self.keks.values(), key=lambda k: k.id)],
            "root_key": _b64(self._root_key),
        }
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def rotate(self) -> Kek:
        """Add a new KEK and make it the one new data keys are wrapped with."""
        keks = dict(self.keks)
        kek = Kek(max(keks) + 1, secrets.token_bytes(32), datetime.now(UTC).isoformat(timespec="seconds"))
        keks[kek.id] = kek
        self._state = (keks, kek.id)
        return kek

    def retire(self, kek_id: int) -> None:
        if kek_id == self.active_kek_id:
            raise KeyringError("the active KEK cannot be retired; rotate first")
        if kek_id not in self.keks:
            raise KeyringError(f"KEK {kek_id} is not in the key ring")
        self._state = ({k: v for k, v in self.keks.items() if k != kek_id}, self.active_kek_id)

    @classmethod
    def create(cls, path: Path) -> bool:
        """Write a new key ring if none exists; returns whether one was written."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": FORMAT,
            "active_kek": 1,
            "keks": [{"id": 1, "key": _b64(secrets.token_bytes(32)),
                      "created_at": datetime.now(UTC).isoformat(timespec="seconds")}],
            "root_key": _b64(secrets.token_bytes(32)),
        }
        try:
            # O_EXCL: two concurrent `zegel init` runs can never overwrite each other's keys.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
        return True


def exclusive(path: Path):
    """Hold an exclusive lock for a read-modify-write of the key ring (rotate, retire), so two
    administrators running `zegel keys` at once cannot give two new KEKs the same id."""
    return locked(Path(path).with_name(Path(path).name + ".lock"))
