"""Streaming, decrypting attachment downloads: the real file name, and single byte ranges
that decrypt only the chunks they touch (so a broken download resumes where it stopped)."""
from __future__ import annotations

import itertools
from urllib.parse import quote

import zipstream
from flask import Response, request

from zegel.extensions import keyring
from zegel.messages import content, service
from zegel.messages.models import Attachment, Message


def content_disposition(filename: str) -> str:
    """RFC 6266 with an RFC 5987 ``filename*`` for names that are not plain ASCII."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 else "_" for c in filename).replace('"', "'").replace("\\", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _requested_range(size: int, etag: str) -> tuple[int, int] | None | bool:
    """(start, stop) for one satisfiable range, None for the whole file, False when unsatisfiable."""
    rng = request.range
    if rng is None or rng.units != "bytes" or len(rng.ranges) != 1:
        return None  # no range, or several: the whole file is a valid answer (RFC 9110)
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range != etag:
        return None  # the file changed since the client's partial copy (ours never do, but be exact)
    bounds = rng.range_for_length(size)
    return bounds if bounds is not None else False


def attachment_response(message: Message, attachment: Attachment) -> Response:
    dek = content.message_dek(keyring(), message)
    name = content.open_text(dek, message.id, f"attachment-name:{attachment.id}", attachment.name_ct)
    etag = f'"{attachment.id}"'  # attachments never change, so their id is a strong validator
    # A file from an attached folder is saved under its own name, not its path in the folder.
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Content-Disposition": content_disposition(name.rsplit("/", 1)[-1]),
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    bounds = _requested_range(attachment.size, etag)
    if bounds is False:
        return Response(status=416, headers={**headers, "Content-Range": f"bytes */{attachment.size}"})
    start, stop = bounds or (0, attachment.size)
    chunks = service.attachment_chunks(message, attachment, start, stop)
    # Decrypt the first piece before answering: a damaged file is then a clear error page, not a
    # download that breaks off (later chunks are still checked, and cut the transfer if bad).
    first = next(chunks, b"")
    resp = Response(itertools.chain([first], chunks), mimetype="application/octet-stream",
                    direct_passthrough=True, headers=headers)
    resp.headers["Content-Length"] = str(stop - start)
    if bounds:
        resp.status_code = 206
        resp.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{attachment.size}"
    return resp


def folder_response(message: Message, folder: service.Folder) -> Response:
    """A folder as one zip, built while it streams (stored, not compressed: most large files are
    compressed already, and the length is known up front so the browser shows a progress bar)."""
    archive = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED, sized=True)
    for att, path in folder.files:
        archive.add(service.attachment_chunks(message, att), f"{folder.name}/{path}", size=att.size)
    headers = {"Content-Disposition": content_disposition(f"{folder.name}.zip"), "Content-Length": str(len(archive)),
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    return Response(iter(archive), mimetype="application/zip", direct_passthrough=True, headers=headers)
