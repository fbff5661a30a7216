"""Uploaded documents (evidence files): what a file is, judged by its content, never its name.

Pure: bytes in, a `CheckedDocument` or an `InputInvalid` naming the form field out. Storage
(content-addressed files outside the web root) is `planning_sv/store/documents.py`.

A file is accepted only when its first bytes (and, for the Office formats, its ZIP parts)
show one of the allowed kinds AND its name's extension agrees: a program renamed to
`report.pdf` is neither a PDF by content nor anything else we accept, and a PDF named
`photo.png` is refused rather than served under the wrong type.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

from planning_sv.core.errors import InputInvalid, Problem

# Each upload's own ceiling; the request ceiling (web MAX_UPLOAD_BYTES, 5 MiB) is above it so
# an oversize file gets this message naming the field, not a bare 413.
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024

# kind -> (media type served with it, extensions a file of that kind may carry)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "csv": ("text/csv", (".csv", ".txt")),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
}
EVIDENCE_KINDS = frozenset(KINDS)
_LABELS = {"pdf": "PDF", "docx": "Word (DOCX)", "xlsx": "Excel (XLSX)", "csv": "CSV"}
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"#!")
_MAX_ZIP_MEMBERS = 2000


@dataclass(frozen=True)
class CheckedDocument:
    """A file that passed `check_document`: its kind by content, hash and safe name."""

    kind: str
    media_type: str
    sha256: str
    size: int
    filename: str  # the uploaded name reduced to safe characters, for display and download


def kind_label(kind: str) -> str:
    return _LABELS.get(kind, kind.upper())


def allowed_text(kinds: frozenset[str] = EVIDENCE_KINDS) -> str:
    return ", ".join(kind_label(k) for k in KINDS if k in kinds)


def safe_filename(name: str) -> str:
    """Letters, digits, dot, dash and underscore only; never a path; at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-")[:120]
    return cleaned or "document"


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if len(names) > _MAX_ZIP_MEMBERS or "[Content_Types].xml" not in names:
        return None
    lowered = {n.lower() for n in names}
    if any(n.endswith("vbaproject.bin") for n in lowered):
        return None  # macro-enabled: not a plain document, refused as unknown
    if "word/document.xml" in lowered:
        return "docx"
    if "xl/workbook.xml" in lowered:
        return "xlsx"
    return None


def _is_csv(data: bytes) -> bool:
    if b"\x00" in data or data.startswith(_EXECUTABLE_MAGIC):
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if not text.strip():
        return False
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        return False
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return False
    return bool(rows)


def detect_kind(data: bytes) -> str | None:
    """The kind of document `data` is by its content, or None if not one we accept."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if _is_csv(data):
        return "csv"
    return None


def check_document(
    data: bytes,
    filename: str,
    *,
    field: str = "evidence",
    kinds: frozenset[str] = EVIDENCE_KINDS,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> CheckedDocument:
    """Accept `data` as one of `kinds`, or raise InputInvalid with one Problem at `field`."""
    name = safe_filename(filename)

    def refuse(message: str) -> InputInvalid:
        return InputInvalid([Problem(field, f"{name}: {message}")])

    if not data:
        raise refuse("the file is empty")
    if len(data) > max_bytes:
        raise refuse(
            f"the file is {len(data) / 1048576:.1f} MB; the limit is "
            f"{max_bytes / 1048576:.0f} MB per file"
        )
    kind = detect_kind(data)
    if kind is None or kind not in kinds:
        what = "a program" if data.startswith(_EXECUTABLE_MAGIC) else "not a file type we accept"
        raise refuse(f"by its content this is {what}; upload {allowed_text(kinds)} files only")
    media_type, extensions = KINDS[kind]
    if not name.lower().endswith(extensions):
        raise refuse(
            f"by its content this is a {kind_label(kind)} file but its name says otherwise; "
            f"name it with {' or '.join(extensions)}"
        )
    return CheckedDocument(
        kind=kind,
        media_type=media_type,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        filename=name,
    )
