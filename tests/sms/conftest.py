"""Fixtures for the SMS gateway tests."""
from tests.sms.fake_cm import cm_server  # noqa: F401
