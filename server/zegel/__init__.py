"""Zegel: secure e-mail for Outlook users."""

from zegel.app import create_app

__all__ = ["create_app"]
