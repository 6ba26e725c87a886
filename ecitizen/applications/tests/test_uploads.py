"""Uploads: the type comes from the bytes, never from the name or the browser's claim."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from ecitizen.applications import uploads
from ecitizen.applications.tests.factories import (
    EXE_BYTES,
    GIF_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    WEBP_BYTES,
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF_BYTES, "application/pdf"),
        (PNG_BYTES, "image/png"),
        (JPEG_BYTES, "image/jpeg"),
        (GIF_BYTES, "image/gif"),
        (WEBP_BYTES, "image/webp"),
        (EXE_BYTES, None),
        (b"<html><script>alert(1)</script>", None),
        (b"", None),
    ],
)
def test_sniff_content_type(content: bytes, expected: str | None) -> None:
    assert uploads.sniff_content_type(content[:16]) == expected


def test_a_renamed_file_is_refused_whatever_its_declared_type() -> None:
    disguised = SimpleUploadedFile("invoice.pdf", EXE_BYTES, content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        uploads.validate_upload(disguised, allowed_types=["application/pdf"], max_size=1000)
    assert caught.value.messages == ["“invoice.pdf” must be a PDF file."]
    png_as_pdf = SimpleUploadedFile("scan.pdf", PNG_BYTES, content_type="application/pdf")
    with pytest.raises(ValidationError):
        uploads.validate_upload(png_as_pdf, allowed_types=["application/pdf"], max_size=1000)


def test_size_limits_and_empty_files() -> None:
    with pytest.raises(ValidationError) as caught:
        uploads.validate_upload(SimpleUploadedFile("a.pdf", PDF_BYTES), max_size=10)
    assert caught.value.code == "too_large"
    with pytest.raises(ValidationError) as caught:
        uploads.validate_upload(SimpleUploadedFile("a.pdf", b""))
    assert caught.value.code == "empty"


def test_a_valid_upload_has_its_real_type_size_and_digest() -> None:
    checked = uploads.validate_upload(
        SimpleUploadedFile("../../etc/photo.PDF", JPEG_BYTES, content_type="application/pdf"),
        allowed_types=["image/jpeg"],
    )
    assert checked.content_type == "image/jpeg"
    assert checked.size == len(JPEG_BYTES)
    assert checked.sha256 == hashlib.sha256(JPEG_BYTES).hexdigest()
    assert checked.original_name == "photo.PDF"
    assert checked.storage_name.endswith(".jpg") and "photo" not in checked.storage_name


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("C:\\Users\\me\\plan.pdf", "plan.pdf"),
        ("bad\x00name\r\n.pdf", "badname.pdf"),
        ("...", "document"),
        ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert uploads.safe_filename(name) == safe
