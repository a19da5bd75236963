"""Small real files for the DLP tests, made here: PDF (plain and encrypted), DOCX, XLSX, ODT, EML."""
from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage


def pdf(text: str, encrypt_with: str | None = None) -> bytes:
    """A one-page PDF with ``text`` on it, written by hand (PDF readers read it back)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    data = out.getvalue()
    if encrypt_with is None:
        return data
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(encrypt_with, algorithm="AES-256")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    return encrypted.getvalue()


def _zip(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx(*paragraphs: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return _zip({"[Content_Types].xml": b"<Types/>",
                 "word/document.xml": f"<w:document {W}><w:body>{body}</w:body></w:document>".encode()})


def docx_bomb(size: int = 40 * 1024 * 1024) -> bytes:
    """A small file whose document part unpacks to ``size`` bytes."""
    return _zip({"word/document.xml": f"<w:document {W}><w:body><w:p><w:r><w:t>".encode() + b" " * size
                 + b"</w:t></w:r></w:p></w:body></w:document>"})


S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def xlsx(strings: list[str], numbers: list[str] = ()) -> bytes:
    shared = "".join(f"<si><t>{s}</t></si>" for s in strings)
    cells = "".join(f'<c r="A{i + 1}"><v>{n}</v></c>' for i, n in enumerate(numbers))
    return _zip({"xl/sharedStrings.xml": f"<sst {S}>{shared}</sst>".encode(),
                 "xl/worksheets/sheet1.xml": f"<worksheet {S}><sheetData><row>{cells}</row></sheetData></worksheet>"
                 .encode()})


def xlsx_billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    xml = f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]><sst {S}><si><t>&lol9;</t></si></sst>'
    return _zip({"xl/sharedStrings.xml": xml.encode()})


def odt(*paragraphs: str) -> bytes:
    ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ' \
         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.text",
                 "content.xml": f"<office:document-content {ns}><office:body><office:text>{body}"
                                f"</office:text></office:body></office:document-content>".encode()})


def eml(body: str, attachments: dict[str, bytes] = ()) -> bytes:
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "Doorgestuurd", "a@zorg.nl", "b@zorg.nl"
    message.set_content(body)
    for name, data in dict(attachments).items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)
