"""The one place that tells the time, so tests can freeze it."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
