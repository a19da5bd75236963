"""Text from attachments: txt, csv, html, eml (with the files inside), pdf, docx, xlsx, odt.

Every format has limits (size, pages, entries, unpacked bytes, compression ratio, nesting);
a limit that is hit ends that file's extraction with a *problem* ("too_large", "zip_bomb", …),
reported to the user as "could not be checked", never as an error. This module runs inside
the sandbox process (see sandbox.py), which adds the memory and time limits."""
from __future__ import annotations

import email
import email.policy
import html
import io
import zipfile
from dataclasses import dataclass, field

import nh3
from defusedxml import ElementTree as SafeXML
from defusedxml.common import DefusedXmlException

MAX_TEXT_CHARS = 10_000_000  # text kept per scan; the rest is not checked
MAX_PDF_PAGES = 500
MAX_ZIP_ENTRIES = 2000
MAX_UNZIPPED = 200 * 1024 * 1024  # all parts of one Office file together
MAX_PART = 64 * 1024 * 1024  # one XML part
MAX_RATIO = 100  # unpacked / packed, for parts over 1 MiB
MAX_EML_DEPTH = 3
MAX_EML_PARTS = 200

TEXT_TYPES = {"txt", "csv", "tsv", "md", "log", "json", "xml", "rtf", "ics", "vcf"}
HTML_TYPES = {"html", "htm"}
OFFICE_TYPES = {"docx", "docm", "xlsx", "xlsm", "odt", "ods", "odp"}
SUPPORTED = TEXT_TYPES | HTML_TYPES | OFFICE_TYPES | {"pdf", "eml"}


class LimitHit(Exception):
    """Extraction stopped at a limit; ``args[0]`` is the problem code."""


@dataclass
class Extracted:
    texts: list[tuple[str, str]] = field(default_factory=list)  # (path inside the file, text)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path inside the file, problem code)
    chars: int = 0

    def add(self, inner: str, text: str) -> None:
        room = MAX_TEXT_CHARS - self.chars
        if room <= 0:
            self.problems.append((inner, "too_large"))
            return
        if len(text) > room:
            text = text[:room]
            self.problems.append((inner, "too_large"))
        self.chars += len(text)
        if text.strip():
            self.texts.append((inner, text))


def kind_of(name: str, data: bytes) -> str | None:
    """The format by the file's first bytes, then its extension; None for what we do not read."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"\xd0\xcf\x11\xe0") and ext in OFFICE_TYPES | {"doc", "xls", "ppt"}:
        return "ole"  # an encrypted Office file (or the old binary format)
    if data.startswith(b"PK\x03\x04") and ext in OFFICE_TYPES:
        return ext
    if ext in OFFICE_TYPES:
        return "broken"
    if ext == "pdf":
        return "broken"
    if ext in TEXT_TYPES | HTML_TYPES | {"eml"}:
        return ext
    return None


def extract(name: str, data: bytes, out: Extracted | None = None, inner: str = "", depth: int = 0,
            part: tuple[int, int] = (0, 1)) -> Extracted:
    """``part`` (k, n): of a PDF, only the k-th of n equal runs of pages (the sandbox reads a large
    PDF in several processes at once); other formats ignore it."""
    out = out if out is not None else Extracted()
    kind = kind_of(name, data)
    try:
        if kind is None:
            return out
        if kind in TEXT_TYPES:
            out.add(inner, _decode(data))
        elif kind in HTML_TYPES:
            out.add(inner, html_text(_decode(data)))
        elif kind == "pdf":
            _pdf(data, out, inner, part)
        elif kind in ("docx", "docm"):
            _office(data, out, inner, lambda n: n == "word/document.xml" or n.startswith(
                ("word/header", "word/footer", "word/footnotes", "word/endnotes", "word/comments")))
        elif kind in ("xlsx", "xlsm"):
            _office(data, out, inner, lambda n: n == "xl/sharedStrings.xml" or n.startswith("xl/worksheets/sheet"))
        elif kind in ("odt", "ods", "odp"):
            _office(data, out, inner, lambda n: n in ("content.xml", "styles.xml"))
        elif kind == "eml":
            _eml(data, out, inner, depth)
        elif kind == "ole":
            raise LimitHit("encrypted")
        else:
            raise LimitHit("unreadable")
    except LimitHit as hit:
        out.problems.append((inner, hit.args[0]))
    except DefusedXmlException:
        out.problems.append((inner, "xml_entities"))
    except MemoryError:
        out.problems.append((inner, "memory"))
    except Exception:  # a malformed file: not checked, said so, never an error for the user
        out.problems.append((inner, "unreadable"))
    return out


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def html_text(markup: str) -> str:
    # Block elements become line breaks so words on either side do not run together.
    markup = markup.replace("<br", "\n<br").replace("</p>", "</p>\n").replace("</div>", "</div>\n")
    return html.unescape(nh3.clean(markup, tags=set()))


def _pdf(data: bytes, out: Extracted, inner: str, part: tuple[int, int] = (0, 1)) -> None:
    """With PDFium (pypdfium2): four times faster than a pure-Python reader on text-heavy files."""
    import pypdfium2 as pdfium
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise LimitHit("encrypted" if "password" in str(exc).lower() else "unreadable") from None
    try:
        pages = min(len(document), MAX_PDF_PAGES)
        if len(document) > MAX_PDF_PAGES and part[0] == 0:
            out.problems.append((inner, "too_many_pages"))
        share = -(-pages // part[1])  # pages per part, rounded up
        for number in range(part[0] * share, min(pages, (part[0] + 1) * share)):
            page = document[number]
            textpage = page.get_textpage()
            out.add(inner, textpage.get_text_range() + "\n")
            textpage.close()
            page.close()
            if out.chars >= MAX_TEXT_CHARS:
                break
    finally:
        document.close()


def is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF")


def _office(data: bytes, out: Extracted, inner: str, wanted) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise LimitHit("unreadable") from None
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise LimitHit("zip_bomb")
    if any(info.flag_bits & 0x1 for info in infos):
        raise LimitHit("encrypted")
    total = 0
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise LimitHit("zip_bomb")
        total += info.file_size
        if total > MAX_UNZIPPED:
            raise LimitHit("zip_bomb")
    for info in infos:
        if not wanted(info.filename):
            continue
        with archive.open(info) as fh:
            part = fh.read(MAX_PART + 1)  # the header's size may lie: count what really comes out
        if len(part) > MAX_PART:
            raise LimitHit("zip_bomb")
        out.add(inner, _xml_text(part))


def _xml_text(part: bytes) -> str:
    """The text nodes of an Office XML part, one paragraph, row or cell per line.
    defusedxml refuses DTDs and entity declarations, so billion-laughs files stop here."""
    root = SafeXML.fromstring(part, forbid_dtd=True)
    lines, current = [], []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ("p", "h", "row", "c", "si", "tr", "tc", "table-cell") and current:
            lines.append("".join(current))
            current = []
        if tag in ("t", "v", "p", "h", "span", "s", "a") and element.text:
            current.append(element.text)
        if tag == "tab":
            current.append("\t")
        if element.tail and tag in ("span", "s", "a", "tab", "line-break"):
            current.append(element.tail)
    if current:
        lines.append("".join(current))
    return "\n".join(lines)


def _eml(data: bytes, out: Extracted, inner: str, depth: int) -> None:
    if depth >= MAX_EML_DEPTH:
        raise LimitHit("too_deep")
    message = email.message_from_bytes(data, policy=email.policy.default)
    out.add(inner, str(message.get("subject", "")))
    parts = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        parts += 1
        if parts > MAX_EML_PARTS:
            raise LimitHit("too_many_parts")
        filename = part.get_filename()
        content_type = part.get_content_type()
        if filename or content_type == "message/rfc822":
            payload = part.get_payload(decode=True) or b""
            name = filename or "message.eml"
            extract(name, payload, out, f"{inner} › {name}" if inner else name, depth + 1)
        elif content_type == "text/plain":
            out.add(inner, part.get_content())
        elif content_type == "text/html":
            out.add(inner, html_text(part.get_content()))
