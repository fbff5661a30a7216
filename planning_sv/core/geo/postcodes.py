"""Postcode → point, from an OS Code-Point Open extract.

Non-geographic (PO box) postcodes are *placed* at their delivery office with a warning rather
than rejected: the applicant gave a real postcode, the officer sees where it was put and why
it may not be where the benefit lands.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


def normalise_postcode(text: str) -> str:
    """'n195rq' → 'N19 5RQ': upper case, one space before the inward code."""
    compact = re.sub(r"\s+", "", str(text)).upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def looks_like_postcode(text: str) -> bool:
    return bool(_POSTCODE.match(re.sub(r"\s+", "", str(text)).upper()))


@dataclass(frozen=True)
class PostcodePoint:
    postcode: str
    lon: float
    lat: float
    easting: float
    northing: float
    positional_quality: int
    non_geographic: bool


class PostcodeIndex:
    """In-memory index of one Code-Point Open CSV (columns as in PROVENANCE.md).

    A plain dict of points: a lookup is one hash probe (a pandas row lookup cost ~0.2 ms,
    paid per postcode of every statement assessed), and reading with `csv` spares the
    command line and the web workers a pandas import for it.
    """

    def __init__(self, path: Path):
        points: dict[str, PostcodePoint] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                key = normalise_postcode(row["postcode"])
                if key in points:
                    continue  # the first row of a repeated postcode wins
                points[key] = PostcodePoint(
                    postcode=key,
                    lon=float(row["lon"]),
                    lat=float(row["lat"]),
                    easting=float(row["easting"]),
                    northing=float(row["northing"]),
                    positional_quality=int(row["positional_quality"]),
                    non_geographic=str(row["non_geographic_district"]).strip().lower() == "true",
                )
        self.path = path
        self._points = points

    def __len__(self) -> int:
        return len(self._points)

    def lookup(self, text: str) -> PostcodePoint | None:
        """The point of a postcode in any spacing or case, or None if it is not in the file."""
        return self._points.get(normalise_postcode(text))
