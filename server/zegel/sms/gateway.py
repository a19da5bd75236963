"""The SMS gateway protocol and its implementations.

``DevOutboxSms`` captures messages for the /dev/outbox page; ``CmSms`` sends
through CM.com's JSON messaging gateway, a provider widely used in the
Netherlands. Both raise ``DeliveryError`` so the worker can decide whether
to retry.
"""
from __future__ import annotations

from typing import Protocol

import requests

from zegel.delivery.errors import DeliveryError
from zegel.delivery.models import DevOutboxItem


class SmsGateway(Protocol):
    def send(self, to: str, text: str, reference: str) -> None:
        """Deliver ``text`` to the E.164 number ``to`` or raise DeliveryError."""


class DevOutboxSms:
    """Writes each SMS to the dev outbox table instead of a phone."""

    def __init__(self, sessionmaker):
        self._sessionmaker = sessionmaker

    def send(self, to: str, text: str, reference: str) -> None:
        with self._sessionmaker() as session:
            session.add(DevOutboxItem(kind="sms", to=to, text=text))
            session.commit()


class CmSms:
    """CM.com business messaging gateway (POST JSON, product token)."""

    def __init__(self, url: str, product_token: str, sender: str, timeout: float = 10.0):
        self.url = url
        self.product_token = product_token
        self.sender = sender
        self.timeout = timeout
        self._http = requests.Session()

    def send(self, to: str, text: str, reference: str) -> None:
        body = {
            "messages": {
                "authentication": {"producttoken": self.product_token},
                "msg": [{
                    "from": self.sender,
                    # CM expects international numbers with a 00 prefix instead of +.
                    "to": [{"number": "00" + to.lstrip("+")}],
                    "body": {"type": "auto", "content": text},
                    "reference": reference[:32],
                    # Allow long or non-GSM texts to be split instead of refused.
                    "minimumNumberOfMessageParts": 1,
                    "maximumNumberOfMessageParts": 3,
                }],
            }
        }
        try:
            resp = self._http.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise DeliveryError(f"CM.com unreachable: {exc.__class__.__name__}", permanent=False) from None
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):  # a proxy's error page or a changed API: judge by status only
            data = {}
        if resp.status_code >= 500 or resp.status_code == 429:
            raise DeliveryError(f"CM.com answered {resp.status_code}", permanent=False)
        details = str(data.get("details", ""))[:200]
        if resp.status_code >= 400 or data.get("errorCode", 0) != 0:
            # 4xx means our request or account is wrong: retrying will not help.
            raise DeliveryError(f"CM.com refused the message ({resp.status_code}): {details}", permanent=True)
        for msg in data.get("messages", []):
            if msg.get("messageErrorCode", 0) != 0 or msg.get("status") not in (None, "Accepted"):
                raise DeliveryError(f"CM.com refused the message: {msg.get('messageDetails')}", permanent=True)


def gateway_from_config(config, sessionmaker) -> SmsGateway:
    if config.sms_provider == "cm":
        return CmSms(config.sms_cm_url, config.sms_cm_product_token, config.sms_sender)
    return DevOutboxSms(sessionmaker)
