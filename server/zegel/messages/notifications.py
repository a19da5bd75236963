"""What happened to a recipient's notification e-mail, for the sender's message details."""
from __future__ import annotations

from sqlalchemy.orm import Session

from zegel.audit.service import record
from zegel.clock import utcnow
from zegel.messages.models import Message, Recipient


def notification_result(session: Session, recipient_id: str, *, delivered: bool, final: bool) -> None:
    recipient = session.get(Recipient, recipient_id)
    if recipient is None:
        return
    message = session.get(Message, recipient.message_id)
    if delivered:
        recipient.notified_at = utcnow()
        record(session, "notification.delivered", subject=message.id, recipient=recipient.email_key,
               organisation_id=message.conversation.organisation_id)
    elif final:
        record(session, "notification.failed", subject=message.id, recipient=recipient.email_key,
               organisation_id=message.conversation.organisation_id)
