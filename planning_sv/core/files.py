"""Writing the small index files (registries, choices) the instance folder keeps."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO


def csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in user text (CSV injection).

    The one rule for every CSV the app writes (public downloads, contributions exports): a
    cell starting with = + - @ tab or carriage return gets a leading apostrophe, so a
    spreadsheet shows it as text instead of running it.
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file.

    The temporary name is unique, so two imports running at once cannot write into each
    other's file; the last rename wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def replacing(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write that replaces `path` only when the block ends without error.

    For larger files written by a library (numpy's savez): same guarantee as
    `write_atomically`, a reader never sees half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
