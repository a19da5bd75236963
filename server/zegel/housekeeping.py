"""Periodic clean-up, run by the worker every hour and by `zegel cleanup`."""
from __future__ import annotations

from sqlalchemy.orm import Session


def clean_up(session: Session) -> dict[str, int]:
    """Expired uploads, the files of expired messages, and blob deletions that storage refused earlier."""
    from zegel.messages.service import remove_expired_attachments
    from zegel.storage import deletions
    from zegel.uploads.service import remove_expired
    attachments = 0
    for _round in range(100):  # in batches, so one run does not hold everything in memory
        removed = remove_expired_attachments(session)
        attachments += removed
        if not removed:
            break
    return {"uploads": remove_expired(session), "attachments": attachments, "blobs": deletions.run(session)}
