"""Secure messages and the web mailbox."""
