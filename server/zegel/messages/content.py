"""Message content: HTML sanitising, subject rules, and encryption under the message's data key."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import nh3
from flask_babel import lazy_gettext as _l

from zegel.crypto import envelope
from zegel.crypto.keyring import Keyring
from zegel.errors import AppError

MAX_SUBJECT = 200
MAX_BODY_BYTES = 1024 * 1024
ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "blockquote", "a", "h1", "h2",
                "h3", "pre", "code", "span", "div", "table", "thead", "tbody", "tr", "th", "td", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


# Bidi embedding/override/isolate marks: "invoice\u202Efdp.exe" would read as "invoiceexe.pdf".
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp", "Cs") or ch in _BIDI


def replace_unsafe_characters(text: str) -> str:
    return "".join("_" if _unsafe(ch) else ch for ch in text)


def clean_content_type(raw: str | None) -> str:
    value = (raw or "").strip().lower()
    return value if re.fullmatch(r"[\w.+-]+/[\w.+-]+", value, re.ASCII) and len(value) <= 200 \
        else "application/octet-stream"


def clean_subject(raw: str) -> str:
    subject = (raw or "").strip()
    if not subject:
        raise AppError("invalid_subject", _l("Enter a subject."), 400)
    if any(_unsafe(ch) for ch in subject):
        # The subject goes into the notification's mail header: no header injection.
        raise AppError("invalid_subject", _l("The subject must be one line."), 400)
    if len(subject) > MAX_SUBJECT:
        raise AppError("invalid_subject", _l("Use at most %(n)d characters for the subject.", n=MAX_SUBJECT), 400)
    return subject


def clean_body(raw_html: str) -> str:
    """Keep formatting, drop scripts, styles, event handlers and javascript: links."""
    if len((raw_html or "").encode("utf-8")) > MAX_BODY_BYTES:
        raise AppError("body_too_large", _l("The message text is too long (at most 1 MB)."), 413)
    return nh3.clean(raw_html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def text_to_html(text: str) -> str:
    """Plain text from a form without an editor, as paragraphs."""
    from markupsafe import escape
    paragraphs = [p for p in re.split(r"\n\s*\n", (text or "").strip()) if p]
    # str() first: Markup.replace would escape the "<br>" it puts in.
    return "".join(f"<p>{str(escape(p)).replace(chr(10), '<br>')}</p>" for p in paragraphs)


@dataclass
class Sealed:
    kek_id: int
    wrapped_dek: bytes
    dek: bytes


def new_message_key(keyring: Keyring, message_id: str) -> Sealed:
    dek = envelope.new_dek()
    wrapped = envelope.wrap_dek(keyring, f"message:{message_id}", dek)
    return Sealed(wrapped.kek_id, wrapped.wrapped, dek)


def message_dek(keyring: Keyring, message) -> bytes:
    return envelope.unwrap_dek(keyring, f"message:{message.id}",
                               envelope.WrappedKey(message.kek_id, message.wrapped_dek))


def seal_text(dek: bytes, message_id: str, field: str, text: str) -> bytes:
    return envelope.encrypt_field(dek, f"message:{message_id}", field, text)


def open_text(dek: bytes, message_id: str, field: str, ciphertext: bytes) -> str:
    return envelope.decrypt_field(dek, f"message:{message_id}", field, ciphertext).decode("utf-8")
