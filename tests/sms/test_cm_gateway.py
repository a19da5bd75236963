"""CmSms as CM.com sees it (a real HTTP server on loopback) and how its
answers turn into success, a retry or a permanent failure."""
from __future__ import annotations

import socket

import pytest

from tests.sms.fake_cm import PATH
from zegel.delivery.errors import DeliveryError
from zegel.sms.gateway import CmSms

TOKEN = "00000000-aaaa-bbbb-cccc-123456789abc"


def gateway(url: str, **kw) -> CmSms:
    return CmSms(url, TOKEN, "Zegel", **kw)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{PATH}"


def test_cm_receives_token_sender_number_text_and_reference(cm_server):
    """One POST in CM.com's JSON format; an accepted message is a success."""
    gateway(cm_server.url).send("+31612345671", "Je Zegel-inlogcode is 493817", "login:abc")

    [req] = cm_server.received
    assert req.method == "POST" and req.path == PATH
    assert req.headers["content-type"] == "application/json"
    messages = req.body["messages"]
    assert messages["authentication"] == {"producttoken": TOKEN}
    [msg] = messages["msg"]
    assert msg["from"] == "Zegel"
    assert msg["to"] == [{"number": "0031612345671"}]
    assert msg["body"]["content"] == "Je Zegel-inlogcode is 493817"
    assert msg["reference"] == "login:abc"


def test_reference_is_cut_to_cms_32_characters(cm_server):
    """CM.com refuses longer references, so a long one is shortened, not sent whole."""
    reference = "login:" + "0123456789abcdef-0123456789abcdef"
    gateway(cm_server.url).send("+31612345671", "hi", reference)
    assert cm_server.received[0].msg["reference"] == reference[:32]


REFUSED = {"details": "No account found for the given authentication", "errorCode": 101, "messages": []}
REJECTED = {
    "details": "Created 0 message(s)", "errorCode": 0,
    "messages": [{"to": "0031612345671", "status": "Rejected", "reference": "r", "parts": 0,
                  "messageDetails": "Gsm '0031612345671' is not a valid number", "messageErrorCode": 303}],
}


@pytest.mark.parametrize(("status", "answer", "permanent"), [
    pytest.param(400, REFUSED, True, id="400-errorCode-refused"),
    pytest.param(200, REJECTED, True, id="200-message-rejected"),
    pytest.param(500, {"details": "Internal error", "errorCode": 999}, False, id="500"),
    pytest.param(503, "<html>Service Unavailable</html>", False, id="503-html-from-a-proxy"),
    pytest.param(429, {"details": "Too many requests", "errorCode": 0}, False, id="429-throttled"),
])
def test_cm_answers_decide_between_retry_and_giving_up(cm_server, status, answer, permanent):
    """4xx and rejected messages will not get better; 5xx and throttling will."""
    cm_server.always(status, answer)
    with pytest.raises(DeliveryError) as caught:
        gateway(cm_server.url).send("+31612345671", "hi", "r")
    assert caught.value.permanent is permanent
    assert TOKEN not in str(caught.value)  # the error ends up in the job's last_error


def test_refusal_tells_the_operator_why(cm_server):
    """CM.com's own explanation is kept in the error (it becomes last_error)."""
    cm_server.always(400, REFUSED)
    with pytest.raises(DeliveryError, match="No account found"):
        gateway(cm_server.url).send("+31612345671", "hi", "r")


def test_unreachable_gateway_is_retried_later():
    """Connection refused is an outage, not a reason to drop the SMS."""
    with pytest.raises(DeliveryError) as caught:
        gateway(closed_port_url()).send("+31612345671", "hi", "r")
    assert caught.value.permanent is False


def test_gateway_that_does_not_answer_in_time_is_retried_later(cm_server):
    """A hanging gateway costs at most the timeout and the SMS stays queued."""
    cm_server.always(200, delay=1.0)
    with pytest.raises(DeliveryError) as caught:
        gateway(cm_server.url, timeout=0.2).send("+31612345671", "hi", "r")
    assert caught.value.permanent is False
