"""Organisations, users, two-step login, devices and API tokens."""
