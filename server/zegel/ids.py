"""Identifiers for rows: random UUIDs, so no object is found by counting."""
import uuid


def new_id() -> str:
    return str(uuid.uuid4())
