"""The document store's content check (core/documents.py): kinds by content, never by name."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from planning_sv.core.documents import (
    MAX_DOCUMENT_BYTES,
    check_document,
    detect_kind,
    safe_filename,
)
from planning_sv.core.errors import InputInvalid

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60


def _office(main_part: str, extra: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<x/>")
        if extra:
            archive.writestr(extra, "macro")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (_office("word/document.xml"), "docx"),
        (_office("xl/workbook.xml"), "xlsx"),
        (b"ward,starts\nE05013706,3\n", "csv"),
        (EXE, None),
        (b"#!/bin/sh\nrm -rf /\n", None),
        (_office("word/document.xml", "word/vbaProject.bin"), None),  # macro-enabled
        (b"PK\x03\x04not really a zip", None),
        (b"\x00\x01\x02binary", None),
    ],
)
def test_kind_by_content(data: bytes, kind: str | None) -> None:
    assert detect_kind(data) == kind


def test_accepted_file_carries_hash_type_and_safe_name() -> None:
    checked = check_document(PDF, "../../etc/Timesheets Q1 (final).pdf")
    assert checked.kind == "pdf"
    assert checked.media_type == "application/pdf"
    assert checked.sha256 == hashlib.sha256(PDF).hexdigest()
    assert checked.size == len(PDF)
    assert checked.filename == "Timesheets-Q1-final-.pdf"
    assert safe_filename("") == "document"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            EXE,
            "report.pdf",
            "report.pdf: by its content this is a program; upload PDF, Word (DOCX), "
            "Excel (XLSX), CSV, PNG, JPEG files only",
        ),
        (
            PDF,
            "photo.png",
            "photo.png: by its content this is a PDF file but its name says "
            "otherwise; name it with .pdf",
        ),
        (b"", "empty.csv", "empty.csv: the file is empty"),
        (
            b"x" * (MAX_DOCUMENT_BYTES + 1),
            "big.csv",
            "big.csv: the file is 4.0 MB; the limit is 4 MB per file",
        ),
    ],
)
def test_refusals_name_the_field(data: bytes, name: str, message: str) -> None:
    with pytest.raises(InputInvalid) as caught:
        check_document(data, name, field="evidence")
    assert [(p.path, p.message) for p in caught.value.problems] == [("evidence", message)]


def test_kinds_can_be_narrowed() -> None:
    with pytest.raises(InputInvalid) as caught:
        check_document(PDF, "reports.pdf", field="file", kinds=frozenset({"csv"}))
    assert caught.value.problems[0].path == "file"
    assert "upload CSV files only" in caught.value.problems[0].message
