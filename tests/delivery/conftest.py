"""Fixtures for the delivery tests: the local CM.com stand-in."""
from tests.sms.fake_cm import cm_server  # noqa: F401
