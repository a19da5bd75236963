"""The tus upload service: create, append (encrypting while the body streams), status, terminate.

An upload's bytes are spooled to ``<var>/uploads/<id>.zgs`` as a ZGS1 stream
under the upload's own data key. Only whole 64 KiB chunks are written (the
final one once the upload is complete), so the offset we report is always
one a client can resume from, and memory does not grow with the file.
When complete, the stream moves into the blob store.
"""
from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.exceptions import ClientDisconnected

from zegel.accounts.models import User
from zegel.audit.service import record
from zegel.clock import utcnow
from zegel.crypto import envelope, stream
from zegel.crypto.sealed import open_sealed, seal
from zegel.errors import AppError
from zegel.extensions import blob_store, keyring
from zegel.filelock import locked
from zegel.ids import new_id
from zegel.uploads.models import Upload

MAX_SIZE = 50 * 1024 ** 3
READ_SIZE = 256 * 1024
# Without a checksum, the offset is saved while a long PATCH streams, so even a killed server process
# resumes close to where it stopped: after at least this many bytes and this many seconds (each save
# waits for the disk, so on a fast link it happens about once a second rather than every 8 MiB).
CHECKPOINT_BYTES = 8 * 1024 * 1024
CHECKPOINT_SECONDS = 1.0
STREAM_CHUNK = stream.CHUNK_SIZE


def _owner(upload_id: str) -> str:
    # The stream is bound to the attachment it will become (an attachment takes its upload's id).
    return f"attachment:{upload_id}"


def spool_dir() -> Path:
    path = current_app.config["ZEGEL"].var_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def spool_path(upload_id: str) -> Path:
    return spool_dir() / f"{upload_id}.zgs"


def blob_key(upload_id: str) -> str:
    return f"upl/{upload_id}"


def upload_dek(upload: Upload) -> bytes:
    return envelope.unwrap_dek(keyring(), f"upload:{upload.id}", envelope.WrappedKey(upload.kek_id,
                                                                                      upload.wrapped_dek))


def parse_metadata(header: str | None) -> dict[str, str]:
    """tus Upload-Metadata: comma-separated ``key base64value`` pairs."""
    out = {}
    for pair in filter(None, (p.strip() for p in (header or "").split(","))):
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise AppError("invalid_metadata", _l("Upload-Metadata is not valid."), 400) from None
    return out


def display_name(meta: dict[str, str], default: str = "bestand") -> str:
    """What a user calls the file: its path inside a folder, or its name (tus-js-client sends
    "filename", other clients "name")."""
    return meta.get("relativePath") or meta.get("filename") or meta.get("name") or default


def metadata(upload: Upload) -> dict[str, str]:
    return json.loads(open_sealed(upload_dek(upload), upload.metadata_ct, f"upload-metadata:{upload.id}".encode()))


def create(session: Session, user: User, *, length: int, metadata_header: str | None, ip: str = "") -> Upload:
    if length < 0:
        raise AppError("invalid_length", _l("Upload-Length must be a whole number of bytes."), 400)
    if length > MAX_SIZE:
        raise AppError("too_large", _l("Files can be at most 50 GB."), 413)
    meta = parse_metadata(metadata_header)
    upload_id = new_id()
    dek = envelope.new_dek()
    wrapped = envelope.wrap_dek(keyring(), f"upload:{upload_id}", dek)
    now = utcnow()
    upload = Upload(id=upload_id, user_id=user.id, length=length, offset=0, kek_id=wrapped.kek_id,
                    wrapped_dek=wrapped.wrapped, header=stream.new_header(STREAM_CHUNK),
                    metadata_ct=seal(dek, json.dumps(meta).encode(), f"upload-metadata:{upload_id}".encode()),
                    created_at=now, expires_at=now + timedelta(hours=current_app.config["ZEGEL"].upload_expiry_hours))
    path = spool_path(upload_id)
    path.write_bytes(upload.header)
    session.add(upload)
    record(session, "upload.created", actor=user, ip=ip, subject=upload_id, length=length)
    session.commit()
    return upload


def get(session: Session, user: User, upload_id: str) -> Upload:
    """The user's own upload; anyone else's is a 404, an expired one a 410."""
    upload = session.get(Upload, upload_id) if upload_id else None
    if upload is None or upload.user_id != user.id:
        raise AppError("not_found", _l("This upload does not exist."), 404)
    if upload.expires_at <= utcnow():
        raise AppError("upload_expired", _l("This upload has expired. Start it again."), 410)
    return upload


@contextlib.contextmanager
def exclusive(upload_id: str):
    """One PATCH at a time per upload, across processes: a second one gets 423 at once."""
    try:
        with locked(spool_dir() / f"{upload_id}.lock", wait=False):
            yield
    except BlockingIOError:
        raise AppError("upload_locked", _l("This upload is already receiving data."), 423) from None


@dataclass
class Snapshot:
    """What an append needs from the row, so no database transaction stays open while the body streams."""
    id: str
    length: int
    offset: int
    header: bytes
    dek: bytes
    complete: bool


def snapshot(upload: Upload) -> Snapshot:
    return Snapshot(upload.id, upload.length, upload.offset, upload.header, upload_dek(upload),
                    upload.completed_at is not None)


class ChecksumMismatch(Exception):
    pass


def _tail_path(upload_id: str, offset: int) -> Path:
    return spool_dir() / f"{upload_id}.{offset}.tail"


def _tail_aad(upload_id: str, offset: int) -> bytes:
    return f"zegel/upload-tail/{upload_id}/{offset}".encode()


def _read_tail(snap: Snapshot, size: int) -> bytes:
    """The bytes after the last whole chunk, kept sealed between requests (a client may send
    less than a chunk per PATCH and must still see progress)."""
    if snap.offset % size == 0 or snap.offset == snap.length:
        return b""
    try:
        sealed = _tail_path(snap.id, snap.offset).read_bytes()
    except FileNotFoundError:
        raise AppError("upload_damaged", _l("This upload is damaged. Start it again."), 409) from None
    return open_sealed(snap.dek, sealed, _tail_aad(snap.id, snap.offset))


def _write_tail(snap: Snapshot, offset: int, tail: bytes) -> None:
    path = _tail_path(snap.id, offset)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(seal(snap.dek, tail, _tail_aad(snap.id, offset)))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _forget_tails(upload_id: str, keep: int | None) -> None:
    for path in spool_dir().glob(f"{upload_id}.*.tail"):
        if keep is None or path != _tail_path(upload_id, keep):
            path.unlink(missing_ok=True)


def save_offset(session: Session, upload_id: str, offset: int) -> None:
    session.execute(update(Upload).where(Upload.id == upload_id).values(offset=offset))
    session.commit()


def write_body(snap: Snapshot, body: BinaryIO, *, checksum: tuple[str, bytes] | None,
               checkpoint: Callable[[int], None] | None = None) -> int:
    """Encrypt the request body into the spool; returns the new offset. Whole chunks go into the
    stream, the rest (under 64 KiB) is kept sealed for the next request. On a checksum mismatch
    or a disk error nothing of this request stays: the offset is as before."""
    if snap.complete:  # nothing more may come
        if body.read(1):
            raise AppError("too_large", _l("More data than Upload-Length."), 413)
        return snap.length
    cipher = stream.ChunkCipher(snap.dek, _owner(snap.id), snap.header)
    size = cipher.chunk_size
    pending = bytearray(_read_tail(snap, size))
    chunked = snap.offset - len(pending)  # plaintext bytes inside whole chunks
    index = chunked // size
    start_at = cipher.offset_of(index)
    digest = hashlib.new(checksum[0]) if checksum else None  # hashing costs a third of the time: only on request
    remaining = snap.length - snap.offset
    # A request with a checksum is kept whole or not at all, so it saves no offsets on the way.
    checkpoint = checkpoint if checksum is None else None
    safe_at, saved, saved_at = start_at, chunked, time.monotonic()  # what a failure rolls back to
    with open(spool_path(snap.id), "r+b") as fh:
        fh.truncate(start_at)  # bytes of an earlier interrupted request beyond the last whole chunk
        fh.seek(start_at)
        try:
            disconnected = False
            while True:
                try:
                    piece = body.read(READ_SIZE)
                except ClientDisconnected:
                    # The network went away mid-request: keep what arrived, the client resumes from it.
                    disconnected = True
                    break
                if not piece:
                    break
                if len(piece) > remaining:
                    raise AppError("too_large", _l("More data than Upload-Length."), 413)
                remaining -= len(piece)
                if digest is not None:
                    digest.update(piece)
                pending += piece
                while len(pending) >= size and chunked + size < snap.length:
                    fh.write(cipher.encrypt(index, bytes(pending[:size]), last=False))
                    del pending[:size]
                    index += 1
                    chunked += size
                if (checkpoint is not None and chunked - saved >= CHECKPOINT_BYTES
                        and time.monotonic() - saved_at >= CHECKPOINT_SECONDS):
                    fh.flush()
                    os.fsync(fh.fileno())
                    checkpoint(chunked)
                    safe_at, saved, saved_at = fh.tell(), chunked, time.monotonic()
            if chunked + len(pending) == snap.length:
                fh.write(cipher.encrypt(index, bytes(pending), last=True))  # the final chunk
                chunked, pending = snap.length, bytearray()
            if checksum is not None and (disconnected or digest.digest() != checksum[1]):
                raise ChecksumMismatch()
            fh.flush()
            os.fsync(fh.fileno())
            new_offset = chunked + len(pending)
            if pending:
                _write_tail(snap, new_offset, bytes(pending))
        except BaseException as exc:
            fh.truncate(safe_at)
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
                raise AppError("storage_unavailable", _l("Storage is full or unavailable. Try again later."), 503,
                               retry_after=60) from None
            raise
    return new_offset


def finish_append(session: Session, user: User, upload_id: str, new_offset: int, *, ip: str = "") -> Upload:
    upload = session.scalar(select(Upload).where(Upload.id == upload_id).with_for_update())
    upload.offset = new_offset
    _forget_tails(upload_id, keep=new_offset)
    if new_offset == upload.length and upload.completed_at is None:
        store = blob_store()
        path = spool_path(upload.id)
        put_file = getattr(store, "put_file", None)
        if put_file is not None:
            put_file(blob_key(upload.id), path)
        else:
            with open(path, "rb") as fh:
                store.put(blob_key(upload.id), iter(lambda: fh.read(8 * 1024 * 1024), b""))
            path.unlink(missing_ok=True)
        upload.completed_at = utcnow()
        record(session, "upload.completed", actor=user, ip=ip, subject=upload.id, length=upload.length)
    session.commit()
    return upload


def claim(session: Session, user: User, upload_ids: list[str], *, limit: int) -> list[Upload]:
    """The user's finished uploads, to become attachments; they are consumed with the message."""
    if not isinstance(upload_ids, list) or not all(isinstance(i, str) for i in upload_ids):
        raise AppError("invalid_field", _l("attachments must be a list of upload ids."), 400)
    if len(upload_ids) > limit:
        raise AppError("too_many_attachments", _l("Add at most %(n)d files.", n=limit), 400)
    if len(set(upload_ids)) != len(upload_ids):
        raise AppError("invalid_field", _l("An upload is attached twice."), 400)
    uploads = [get(session, user, upload_id) for upload_id in upload_ids]
    for upload in uploads:
        if upload.completed_at is None:
            raise AppError("upload_incomplete", _l("An upload is not complete yet."), 409)
    return uploads


def describe(session: Session, user: User, upload_ids: list[str]) -> list[dict]:
    """The user's finished uploads among ``upload_ids`` with their names, for a compose form shown again."""
    out = []
    for upload_id in upload_ids[:1000]:
        upload = session.get(Upload, upload_id)
        if upload is None or upload.user_id != user.id or upload.completed_at is None or upload.expires_at <= utcnow():
            continue
        meta = metadata(upload)
        out.append({"id": upload.id, "size": upload.length, "name": display_name(meta, default="")})
    return out


def reader(upload: Upload):
    """``read(limit)``: the first ``limit`` plaintext bytes of a finished upload (for the DLP scan)."""
    store, dek, key, owner = blob_store(), upload_dek(upload), blob_key(upload.id), _owner(upload.id)
    return lambda limit: b"".join(stream.decrypt_blob(store, key, dek, owner, 0, limit))


def _remove_data(upload: Upload) -> None:
    """The upload's spool file, sealed tails, lock file and, once complete, its blob."""
    spool_path(upload.id).unlink(missing_ok=True)
    _forget_tails(upload.id, keep=None)
    if upload.completed_at is not None:
        blob_store().delete(blob_key(upload.id))
    (spool_dir() / f"{upload.id}.lock").unlink(missing_ok=True)


def remove_expired(session: Session, now: datetime | None = None) -> int:
    """Delete uploads past their expiry that never became an attachment, with their data."""
    now = now or utcnow()
    removed = 0
    for upload in session.scalars(select(Upload).where(Upload.expires_at <= now).limit(1000)).all():
        with contextlib.suppress(AppError):  # being written to right now: next round
            with exclusive(upload.id):
                _remove_data(upload)
                session.delete(upload)
                record(session, "upload.expired", subject=upload.id, length=upload.length)
                session.commit()
                removed += 1
    return removed


def terminate(session: Session, user: User, upload_id: str, *, ip: str = "") -> None:
    upload = get(session, user, upload_id)
    _remove_data(upload)
    session.delete(upload)
    record(session, "upload.terminated", actor=user, ip=ip, subject=upload_id)
    session.commit()


def http_date(value: datetime) -> str:
    """RFC 9110 date, as tus wants for Upload-Expires."""
    return format_datetime(value, usegmt=True)
