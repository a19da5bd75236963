"""Blob stores for encrypted attachments: a local directory (default); S3 follows."""
