"""The document store: uploaded files kept outside the web root, addressed by SHA-256.

A file's bytes live at `<instance>/documents/<first two hex>/<sha256>` (written once, never
changed; two uploads of the same bytes share the file). Each upload is a `documents` row
saying whose it is (council, statement), what it is (kind by content, checked by
`core.documents.check_document`) and who uploaded it. Files are only ever served through
routes that check the row's statement with `web.authz` (never by a static route), and the
public pages never link to them.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from planning_sv import config
from planning_sv.core.documents import CheckedDocument
from planning_sv.store.models import Base, User, utcnow


class Document(Base):
    """One uploaded file (a row per upload; the bytes are shared by hash)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # core.documents.KINDS
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))  # core.documents.safe_filename
    council: Mapped[str] = mapped_column(String(64), index=True)
    # The statement whose permissions govern the file (web/authz.py can_view).
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), default=None, index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))  # e.g. "delivery_evidence"
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def documents_root(instance: Path | None = None) -> Path:
    """Where the files are: `<instance>/documents` (PLANNING_SV_INSTANCE_DIR by default)."""
    return (instance or config.instance_dir()) / "documents"


def blob_path(root: Path, sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")  # never a path from user input
    return root / sha256[:2] / sha256


def write_blob(root: Path, checked: CheckedDocument, data: bytes) -> Path:
    """Write the bytes under their hash (once; atomically, so a reader never sees half)."""
    path = blob_path(root, checked.sha256)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_document(
    session: Session,
    root: Path,
    checked: CheckedDocument,
    data: bytes,
    *,
    council: str,
    statement_id: int | None,
    purpose: str,
    uploaded_by: User | None,
) -> Document:
    """Store a checked file and add its row to `session` (the caller commits).

    The file is written first: if the transaction then fails, an unreferenced blob is left
    (harmless, content-addressed), never a row without its file.
    """
    write_blob(root, checked, data)
    row = Document(
        sha256=checked.sha256,
        kind=checked.kind,
        media_type=checked.media_type,
        size=checked.size,
        filename=checked.filename,
        council=council,
        statement_id=statement_id,
        purpose=purpose,
        uploaded_by_id=uploaded_by.id if uploaded_by is not None else None,
    )
    session.add(row)
    session.flush()
    return row


def read_document(root: Path, document: Document) -> bytes:
    """The stored bytes of `document` (FileNotFoundError if the blob is missing)."""
    return blob_path(root, document.sha256).read_bytes()
