"""Uploaded documents: the type is read from the file's bytes, never from its name.

Files are stored through Django's default storage under ``applications/<year>/<month>/`` with
a random name. Nothing serves that storage by URL: a document is only ever sent by the
download view, to its owner or authorised staff, as an attachment.
"""

import hashlib
import os
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from ecitizen.catalogue.schema import MAX_UPLOAD_SIZE, UPLOAD_TYPES

DEFAULT_TYPES = ["application/pdf", "image/png", "image/jpeg"]
DEFAULT_MAX_SIZE = 10 * 1024 * 1024

EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}
TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WebP",
}


def sniff_content_type(head: bytes) -> str | None:
    """The content type the first bytes of a file show (magic numbers), or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def describe_types(types: list[str]) -> str:
    """``PDF, PNG or JPEG`` (translated conjunction)."""
    names = [TYPE_NAMES.get(content_type, content_type) for content_type in types]
    if len(names) == 1:
        return names[0]
    return _("%(first)s or %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def safe_filename(name: str) -> str:
    """The name a file is shown and downloaded with: no path, no control characters."""
    name = os.path.basename(str(name).replace("\\", "/"))
    name = "".join(
        ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C"
    )
    name = name.strip().strip(".") or "document"
    stem, dot, ext = name.rpartition(".")
    if len(name) > 150:
        name = f"{stem[: 150 - len(ext) - 1]}.{ext}" if dot else name[:150]
    return name


@dataclass(frozen=True)
class ValidatedUpload:
    """An upload that passed the checks, ready for ``store`` (inside a service)."""

    file: Any
    original_name: str
    content_type: str
    size: int
    sha256: str

    @property
    def storage_name(self) -> str:
        return f"{uuid.uuid4().hex}.{EXTENSIONS[self.content_type]}"


def validate_upload(
    upload: UploadedFile, *, allowed_types: list[str] | None = None, max_size: int | None = None
) -> ValidatedUpload:
    """Check an uploaded file's size and real type; raise a translated ValidationError."""
    allowed = [t for t in (allowed_types or DEFAULT_TYPES) if t in UPLOAD_TYPES]
    limit = min(int(max_size or DEFAULT_MAX_SIZE), MAX_UPLOAD_SIZE)
    name = safe_filename(upload.name or "")
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    if size > limit:
        raise ValidationError(
            _("“%(name)s” must be smaller than %(size)s.")
            % {"name": name, "size": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    if content_type not in allowed:
        raise ValidationError(
            _("“%(name)s” must be a %(types)s file.")
            % {"name": name, "types": describe_types(allowed)},
            code="wrong_type",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return ValidatedUpload(
        file=upload,
        original_name=name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )
