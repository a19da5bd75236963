"""The one place that tells the time, so tests can freeze it."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
