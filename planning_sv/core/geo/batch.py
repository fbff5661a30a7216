"""Batch locate: stream a CSV of points of any size, adding the ward of each row.

The input is read in chunks of `chunk_rows` rows as text, so every input column is copied to
the output exactly as written and memory stays flat in the number of rows. Rows whose
coordinates are empty or not numbers get empty ward columns rather than stopping the batch.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.files import replacing
from planning_sv.core.geo import locator as locator_module
from planning_sv.core.geo.locator import PolygonLocator


@dataclass
class LocateSummary:
    rows: int = 0
    located: int = 0
    outside: int = 0
    unreadable: int = 0  # rows with missing or non-numeric coordinates


@dataclass
class WardLookup:
    """A boundary file ready for batch lookups (lon/lat)."""

    codes: np.ndarray
    names: np.ndarray
    locator: PolygonLocator

    @classmethod
    def from_file(cls, path: Path, cache_dir: Path | None = None) -> WardLookup:
        """The lookup for a boundary file; with `cache_dir`, built once per file content.

        The grid takes seconds to build for England's wards and a fraction of a second to
        read back, so a one-off `planning-sv locate` pays for it only the first time. The
        cache is keyed by the file's bytes and the grid parameters; a missing, corrupt or
        outdated cache file is rebuilt.
        """
        cached = cache_dir / f"wards-{cache_key(path)}.npz" if cache_dir is not None else None
        if cached is not None and cached.is_file():
            try:
                return cls.load(cached)
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
                pass  # corrupt or from another version: rebuilt and replaced below
        from planning_sv.core.geo.boundaries import read_boundary_file

        frame, _ = read_boundary_file(path, lad_code="")
        lookup = cls(
            codes=frame["code"].to_numpy(dtype=object),
            names=frame["name"].to_numpy(dtype=object),
            locator=PolygonLocator(frame.geometry.values),
        )
        if cached is not None:
            # A read-only cache folder only costs the next run a rebuild.
            with contextlib.suppress(OSError):
                lookup.save(cached)
        return lookup

    def save(self, path: Path) -> None:
        """Write the lookup as one .npz (no pickles), atomically."""
        arrays = self.locator.to_arrays()
        with replacing(path) as handle:
            np.savez(
                handle,
                format=np.array([locator_module.GRID_PARAMETERS]),
                codes=self.codes.astype(str),
                names=self.names.astype(str),
                **arrays,
            )

    @classmethod
    def load(cls, path: Path) -> WardLookup:
        """Read a saved lookup; ValueError when it is from another format or inconsistent."""
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["format"][0]) != locator_module.GRID_PARAMETERS:
                raise ValueError(f"{path} was written by another version of the locator")
            arrays = {name: saved[name] for name in saved.files}
        codes = arrays.pop("codes").astype(object)
        names = arrays.pop("names").astype(object)
        locator = PolygonLocator.from_arrays(arrays)
        if not len(codes) == len(names) == len(locator):
            raise ValueError(f"{path}: codes, names and polygons differ in number")
        return cls(codes=codes, names=names, locator=locator)

    def lookup(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = self.locator.locate(lon, lat)
        found = index >= 0
        codes = np.full(len(index), "", dtype=object)
        names = np.full(len(index), "", dtype=object)
        codes[found] = self.codes[index[found]]
        names[found] = self.names[index[found]]
        return codes, names


def cache_key(path: Path) -> str:
    """sha256 of the boundary file's bytes (a shapefile's sidecar files too) and the grid
    parameters: a changed file, or a changed locator, never reuses an old grid."""
    digest = hashlib.sha256(locator_module.GRID_PARAMETERS.encode())
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts = sorted(p for p in path.parent.glob(f"{path.stem}.*") if p.is_file())
    for part in parts:
        digest.update(part.suffix.lower().encode())
        with part.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:32]


def locate_csv(
    source: IO[str],
    output: IO[str],
    wards: WardLookup,
    *,
    x_column: str,
    y_column: str,
    easting_northing: bool,
    extra: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]] | None = None,
    chunk_rows: int = 200_000,
    source_name: str = "input",
) -> LocateSummary:
    """Copy `source` to `output` adding `ward_code` and `ward_name` (and `extra` columns).

    `x_column`/`y_column` are lon/lat, or easting/northing in EPSG:27700 when
    `easting_northing`. Raises InputInvalid for a missing column or an unreadable CSV.
    """
    try:
        reader = pd.read_csv(
            source,
            dtype=str,
            keep_default_na=False,
            chunksize=chunk_rows,
            skipinitialspace=False,
        )
    except pd.errors.EmptyDataError:
        raise InputInvalid([Problem(source_name, "the CSV is empty (no header row)")]) from None
    except pd.errors.ParserError as exc:
        raise InputInvalid([Problem(source_name, f"cannot read as CSV: {exc}")]) from None
    except UnicodeDecodeError as exc:
        raise InputInvalid([Problem(source_name, f"not UTF-8 text: {exc}")]) from None

    summary = LocateSummary()
    writer = csv.writer(output, lineterminator="\n")
    first = True
    chunk_no = 0
    try:
        for chunk in reader:
            chunk_no += 1
            if first:
                missing = [c for c in (x_column, y_column) if c not in chunk.columns]
                if missing:
                    have = ", ".join(chunk.columns[:20])
                    raise InputInvalid(
                        [
                            Problem(source_name, f"no column '{c}' (columns are: {have})")
                            for c in missing
                        ]
                    )
            x = pd.to_numeric(chunk[x_column].str.strip(), errors="coerce").to_numpy(float)
            y = pd.to_numeric(chunk[y_column].str.strip(), errors="coerce").to_numpy(float)
            if easting_northing:
                from planning_sv.core.geo.coords import bng_to_lonlat

                ok = np.isfinite(x) & np.isfinite(y)
                lon = np.full(len(x), np.nan)
                lat = np.full(len(x), np.nan)
                if ok.any():
                    lon[ok], lat[ok] = bng_to_lonlat(x[ok], y[ok])
            else:
                lon, lat = x, y
            codes, names = wards.lookup(lon, lat)
            chunk["ward_code"] = codes
            chunk["ward_name"] = names
            if extra is not None:
                for column, values in extra(lon, lat).items():
                    chunk[column] = values
            bad = ~(np.isfinite(lon) & np.isfinite(lat))
            summary.rows += len(chunk)
            summary.unreadable += int(bad.sum())
            summary.located += int((codes != "").sum())
            summary.outside += int(((codes == "") & ~bad).sum())
            if first:
                writer.writerow(chunk.columns)
                first = False
            buffer = io.StringIO()
            chunk.to_csv(buffer, index=False, header=False, lineterminator="\n")
            output.write(buffer.getvalue())
    except pd.errors.ParserError as exc:
        raise InputInvalid(
            [Problem(source_name, f"cannot read as CSV (chunk {chunk_no}): {exc}")]
        ) from None
    except UnicodeDecodeError as exc:
        raise InputInvalid([Problem(source_name, f"not UTF-8 text: {exc}")]) from None
    return summary
