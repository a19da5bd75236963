"""Blobs as objects in an S3 bucket (AWS or an S3-compatible store), through boto3.

A blob is stored with one PutObject when it is smaller than a part, otherwise
with a multipart upload that holds one part in memory at a time. A multipart
upload becomes visible only when it is completed; on any error it is aborted,
so a failed put leaves neither an object nor an unfinished upload (unless the
abort itself cannot reach the store: a lifecycle rule should clean those up,
see docs/admin.md).
"""
from __future__ import annotations

import errno
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from zegel.storage.base import StorageUnavailable

log = logging.getLogger(__name__)

# The same keys as LocalBlobStore accepts, so a key works with either store.
_KEY = re.compile(r"^[a-z0-9][a-z0-9/_-]{0,200}$")
MiB = 1024 * 1024
PART_SIZE = 8 * MiB
MIN_PART_SIZE = 5 * MiB  # S3's minimum for every part but the last
MAX_PARTS = 10_000
_MISSING = {"NoSuchKey", "404", "NotFound"}


def _part_target(base: int, part_number: int) -> int:
    """Parts grow by ``base`` every 1000 parts, so 10,000 parts reach far past 50 GB (430 GiB at 8 MiB)."""
    return base * (1 + (part_number - 1) // 1000)


class S3BlobStore:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, part_size: int = PART_SIZE, client=None,
                 connect_timeout: float = 5, read_timeout: float = 60, max_attempts: int = 3):
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        prefix = prefix.strip("/")
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.part_size = part_size
        self._endpoint_url = endpoint_url
        self._region = region
        self._boto_config = BotoConfig(
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            retries={"mode": "standard", "max_attempts": max_attempts},
            # S3-compatible stores (MinIO, Ceph, …) are addressed as endpoint/bucket/key.
            s3={"addressing_style": "path"} if endpoint_url else None,
        )
        self._given_client = client
        self._clients: dict[int, object] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        where = f" at {self._endpoint_url}" if self._endpoint_url else ""
        return f"S3BlobStore(s3://{self.bucket}/{self.prefix}{where})"

    @property
    def client(self):
        """One boto3 client per process (clients are thread-safe, but must not cross a fork)."""
        if self._given_client is not None:
            return self._given_client
        pid = os.getpid()
        client = self._clients.get(pid)
        if client is None:
            with self._lock:
                client = self._clients.get(pid)
                if client is None:
                    try:
                        client = boto3.session.Session().client(
                            "s3", endpoint_url=self._endpoint_url, region_name=self._region,
                            config=self._boto_config)
                    except BotoCoreError as exc:
                        raise StorageUnavailable(f"S3 is not configured: {exc}") from None
                    self._clients = {pid: client}
        return client

    def _name(self, key: str) -> str:
        if not _KEY.fullmatch(key) or ".." in key:
            raise ValueError(f"bad blob key {key!r}")
        return self.prefix + key

    @contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        """botocore's errors as StorageUnavailable, a missing object as FileNotFoundError."""
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?"))
            if code in _MISSING:
                raise FileNotFoundError(errno.ENOENT, "no such blob", key) from None
            raise StorageUnavailable(f"S3 {action} failed: {code}") from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"S3 {action} failed: {type(exc).__name__}") from exc
        except OSError as exc:  # a connection that breaks while a body streams
            raise StorageUnavailable(f"S3 {action} failed: {type(exc).__name__}") from exc

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        name = self._name(key)
        client = self.client
        buffer = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict] = []
        try:
            for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                while len(buffer) >= (target := _part_target(self.part_size, len(parts) + 1)):
                    if len(parts) >= MAX_PARTS - 1:
                        raise ValueError("blob too large for S3: it would need more than 10,000 parts")
                    if upload_id is None:
                        with self._errors("upload", key):
                            upload_id = client.create_multipart_upload(Bucket=self.bucket, Key=name)["UploadId"]
                    if len(buffer) == target:  # the usual case: hand the buffer over, no copy
                        part, buffer = buffer, bytearray()
                    else:
                        with memoryview(buffer) as view, view[:target] as piece:
                            part = bytearray(piece)
                        del buffer[:target]
                    with self._errors("upload", key):
                        etag = client.upload_part(Bucket=self.bucket, Key=name, UploadId=upload_id,
                                                  PartNumber=len(parts) + 1, Body=part)["ETag"]
                    parts.append({"ETag": etag, "PartNumber": len(parts) + 1})
                    del part
            if upload_id is None:
                with self._errors("upload", key):
                    client.put_object(Bucket=self.bucket, Key=name, Body=buffer)
                return size
            if buffer or not parts:
                with self._errors("upload", key):
                    etag = client.upload_part(Bucket=self.bucket, Key=name, UploadId=upload_id,
                                              PartNumber=len(parts) + 1, Body=buffer)["ETag"]
                parts.append({"ETag": etag, "PartNumber": len(parts) + 1})
            buffer.clear()
            with self._errors("upload", key):
                client.complete_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id,
                                                 MultipartUpload={"Parts": parts})
            upload_id = None
            return size
        except BaseException:
            if upload_id is not None:
                self._abort(name, upload_id)
            raise

    def _abort(self, name: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
        except (BotoCoreError, ClientError, OSError) as exc:
            log.warning("could not abort the multipart upload %s of s3://%s/%s: %s; "
                        "a lifecycle rule for incomplete uploads removes it later", upload_id, self.bucket, name, exc)

    def read_at(self, key: str, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("offset and length must not be negative")
        name = self._name(key)
        if length == 0:
            self.size(key)  # FileNotFoundError for a missing blob, as a local file's open() would
            return b""
        with self._errors("read", key):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=name,
                                                  Range=f"bytes={offset}-{offset + length - 1}")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                    return b""  # the offset is at or past the end
                raise
            body = response["Body"]
            try:
                return body.read()
            finally:
                body.close()

    def size(self, key: str) -> int:
        name = self._name(key)
        with self._errors("head", key):
            return int(self.client.head_object(Bucket=self.bucket, Key=name)["ContentLength"])

    def delete(self, key: str) -> None:
        name = self._name(key)
        with self._errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=name)
