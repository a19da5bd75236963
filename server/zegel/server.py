"""gunicorn as a library, so `zegel serve` needs no separate config file."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


def without_hsts(wsgi_app):
    """Drop Strict-Transport-Security from every answer. For the development certificate only: a
    browser that saw HSTS for "localhost" would refuse plain http on every localhost port for a year."""
    def app(environ, start_response):
        def start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != "strict-transport-security"]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
        return wsgi_app(environ, start)
    return app


class ZegelGunicorn(BaseApplication):
    def __init__(self, config, options: dict, run_worker: bool, hsts: bool = True):
        self.zegel_config = config
        self.hsts = hsts
        self.options = {
            "worker_class": "gthread",
            "timeout": 120,
            "graceful_timeout": 30,
            "accesslog": "-",
            "forwarded_allow_ips": "*" if config.trusted_proxies else "127.0.0.1",
            **options,
        }
        if run_worker:
            self.options["post_worker_init"] = self._start_delivery
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from zegel.app import create_app
        self.application = create_app(self.zegel_config)
        if not self.hsts:
            self.application.wsgi_app = without_hsts(self.application.wsgi_app)
        return self.application

    def _start_delivery(self, worker):
        from zegel.delivery.worker import start_thread
        start_thread(worker.wsgi)
