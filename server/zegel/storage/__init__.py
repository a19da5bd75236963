"""Blob stores for encrypted attachments: a local directory (default) or an S3 bucket."""
from __future__ import annotations

from typing import TYPE_CHECKING

from zegel.storage.base import BlobStore, StorageUnavailable

if TYPE_CHECKING:
    from zegel.config import Config

__all__ = ["BlobStore", "StorageUnavailable", "storage_from_config"]


def storage_from_config(config: Config) -> BlobStore:
    """The blob store that ``ZEGEL_STORAGE_URL`` names (already validated by ``Config.from_env``)."""
    if config.storage_kind == "s3":
        from zegel.storage.s3 import S3BlobStore
        bucket, prefix = config.s3_bucket_and_prefix
        return S3BlobStore(bucket, prefix, endpoint_url=config.s3_endpoint_url, region=config.s3_region)
    from zegel.storage.local import LocalBlobStore
    return LocalBlobStore(config.blob_dir)
