"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the mail tests."""
from __future__ import annotations

import email
import email.policy
import socket

from aiosmtpd.controller import Controller

REFUSED = "onbekend@ontvanger.nl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that keeps every accepted envelope and refuses one address like a real MTA."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() == REFUSED:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Ok: queued"


class SmtpServer:
    def __init__(self, smtputf8: bool = True):
        self.port = free_port()
        self.handler = Recorder()
        self.smtputf8 = smtputf8
        self._controller = None

    def start(self):
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                      enable_SMTPUTF8=self.smtputf8)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def envelopes(self):
        return self.handler.envelopes

    def mails(self) -> list:
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


