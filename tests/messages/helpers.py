"""Sending from the web mailbox and following links from the captured notifications."""
from __future__ import annotations

from tests.conftest import latest_code, latest_match, web_login


def compose(client, recipients: list[dict], subject="Uitslag allergietest", body="Geachte heer, zie bijlage.",
            files=None, uploads=(), extra: dict | None = None, expect=302):
    data = {"subject": subject, "body_text": body, "rows": str(max(5, len(recipients))), **(extra or {})}
    for i, r in enumerate(recipients):
        data[f"r{i}_email"] = r["email"]
        data[f"r{i}_kind"] = r.get("kind", "to")
        data[f"r{i}_method"] = r.get("method", "none")
        if "phone" in r:
            data[f"r{i}_phone"] = r["phone"]
        if "password" in r:
            data[f"r{i}_password"] = r["password"]
        if r.get("default"):
            data[f"r{i}_default"] = "1"
    if files:
        data["attachments"] = files
    if uploads:
        data["upload"] = list(uploads)
    resp = client.post_form("/compose", data, content_type="multipart/form-data")
    assert resp.status_code == expect, resp.get_data(as_text=True)[:3000]
    return resp


def notification_link(client, worker, email: str) -> str:
    """The /r/ link in the newest notification e-mail to ``email``."""
    return latest_match(client, worker, "email", email, r"(/r/[A-Za-z0-9_-]+)")


sms_code = latest_code


def logged_in(client, worker, **kw):
    web_login(client, worker, **kw)
    return client
