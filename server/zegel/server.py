"""gunicorn as a library, so `zegel serve` needs no separate config file."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class ZegelGunicorn(BaseApplication):
    def __init__(self, config, options: dict, run_worker: bool):
        self.zegel_config = config
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
        return self.application

    def _start_delivery(self, worker):
        from zegel.delivery.worker import start_thread
        start_thread(worker.wsgi)
