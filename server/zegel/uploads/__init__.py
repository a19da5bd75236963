"""Resumable uploads (tus 1.0.0) for attachments up to 50 GB, encrypted while they stream in."""
