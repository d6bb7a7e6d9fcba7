"""The educational licence's document (BI-4, issue #19): a scan or a PDF the applicant uploads
and support reads before deciding. What arrives is untrusted bytes: its kind is read from its
first bytes (never from a name or a Content-Type), only PDF, JPEG and PNG are kept, a PDF that
carries script, launch actions or embedded files is refused, and the size is bounded. Kept as
a file named by the application and the content's hash; handed back only as a download."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.http.billing import MAX_DOCUMENT_BYTES  # a scanned page or a short PDF; one RPC
from shared.kernel.errors import DomainError

MIN_DOCUMENT_BYTES = 64  # below this it is no scan of anything
# Magic numbers: https://www.iana.org/assignments/media-types (PDF 1.x "%PDF-", PNG's 8-byte
# signature, JPEG's SOI + marker).
_KINDS = ((b"%PDF-", "application/pdf", "pdf"),
          (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
          (b"\xff\xd8\xff", "image/jpeg", "jpg"))
# What makes a PDF act when opened: refused rather than cleaned (support needs a scan, not a program).
_ACTIVE_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|OpenAction|AA|RichMedia|XFA)\b")


@dataclass(frozen=True)
class Document:
    media_type: str
    extension: str
    size_bytes: int
    sha256: str


def inspected(content: bytes) -> Document:
    """What the bytes are, or the DomainError that refuses them."""
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DomainError("file_too_large", max_bytes=MAX_DOCUMENT_BYTES)
    found = next(((media, ext) for magic, media, ext in _KINDS if content.startswith(magic)), None)
    if found is None or len(content) < MIN_DOCUMENT_BYTES:
        raise DomainError("invalid_document", accepted=["application/pdf", "image/jpeg", "image/png"])
    if found[0] == "application/pdf" and _ACTIVE_PDF.search(content):
        raise DomainError("invalid_document", reason="active_content")
    return Document(found[0], found[1], len(content), hashlib.sha256(content).hexdigest())


class DocumentFiles:
    """Files under one folder (billing's own; nothing else reads it), written whole or not at all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def name_for(self, application_id: uuid.UUID, document: Document) -> str:
        return f"{application_id}-{document.sha256[:32]}.{document.extension}"

    def keep(self, name: str, content: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        partial = target.with_name(f".{name}.{uuid.uuid4().hex}.part")
        partial.write_bytes(content)
        os.replace(partial, target)  # a reader sees the old file or the whole new one

    def read(self, name: str) -> bytes:
        if "/" in name or name.startswith("."):
            raise DomainError("not_found")
        try:
            return (self.folder / name).read_bytes()
        except FileNotFoundError:
            raise DomainError("not_found") from None
