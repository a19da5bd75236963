"""Files inside a JSON body (the add-in sends the Outlook item's attachments this way, base64)."""
from __future__ import annotations

import base64
import binascii
import mimetypes
from dataclasses import dataclass

from flask_babel import gettext as _

from zegel.errors import AppError, wrong_type


@dataclass
class JsonFile:
    name: str
    content_type: str
    data: bytes


def decode_files(raw, *, field: str = "files", max_files: int, max_total: int) -> list[JsonFile]:
    """``[{name, content_type?, content}]`` with ``content`` strictly base64; 400 on a bad item, 413 when
    all of them together decode to more than ``max_total`` bytes."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(f, dict) for f in raw):
        raise wrong_type(field)
    if len(raw) > max_files:
        raise AppError("too_many_attachments", _("Add at most %(n)d attachments.", n=max_files), 400)
    out, total = [], 0
    for item in raw:
        name, content_type, data = item.get("name"), item.get("content_type"), item.get("content")
        if not isinstance(name, str) or not isinstance(content_type, (str, type(None))) or not isinstance(data, str):
            raise wrong_type(field)
        try:
            decoded = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise AppError("invalid_field", _("The content of %(name)s is not valid base64.", name=name[:255]),
                           400) from None
        total += len(decoded)
        if total > max_total:
            raise AppError("attachments_too_large",
                           _("The attachments together are larger than %(n)d MB; upload large files instead.",
                             n=max_total // (1024 * 1024)), 413)
        if not content_type or content_type == "application/octet-stream":
            # Outlook gives no type for attachments in compose mode: go by the name.
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        out.append(JsonFile(name, content_type, decoded))
    return out
