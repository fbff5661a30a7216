"""Postcode → point, from an OS Code-Point Open extract.

Non-geographic (PO box) postcodes are *placed* at their delivery office with a warning rather
than rejected: the applicant gave a real postcode, the officer sees where it was put and why
it may not be where the benefit lands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

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
    """In-memory index of one Code-Point Open CSV (columns as in PROVENANCE.md)."""

    def __init__(self, path: Path):
        frame = pd.read_csv(
            path,
            usecols=[
                "postcode",
                "easting",
                "northing",
                "lat",
                "lon",
                "positional_quality",
                "non_geographic_district",
            ],
            dtype={"postcode": str},
        )
        frame["key"] = frame["postcode"].map(normalise_postcode)
        frame = frame.drop_duplicates("key").set_index("key")
        self.path = path
        self._frame = frame
        self._non_geo = frame["non_geographic_district"].astype(str).str.lower() == "true"

    def __len__(self) -> int:
        return len(self._frame)

    def lookup(self, text: str) -> PostcodePoint | None:
        """The point of a postcode in any spacing or case, or None if it is not in the file."""
        key = normalise_postcode(text)
        if key not in self._frame.index:
            return None
        row = self._frame.loc[key]
        return PostcodePoint(
            postcode=key,
            lon=float(row["lon"]),
            lat=float(row["lat"]),
            easting=float(row["easting"]),
            northing=float(row["northing"]),
            positional_quality=int(row["positional_quality"]),
            non_geographic=bool(self._non_geo.loc[key]),
        )
