"""WSGI entry point for other servers: ``gunicorn zegel.wsgi:app`` (run `zegel worker` beside it)."""
from zegel.app import create_app

app = create_app()
