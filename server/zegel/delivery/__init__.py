"""Transactional outbox, the worker that delivers it, and the dev outbox."""
