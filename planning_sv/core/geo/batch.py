"""Batch locate: stream a CSV of points of any size, adding the ward of each row.

The input is read in blocks and answered `chunk_rows` rows at a time, so memory stays flat
in the number of rows, and every input field is copied to the output as written. Rows whose
coordinates are empty or not numbers get empty ward columns rather than stopping the batch.

Two paths give the same output:

* **fast** (a block with no `"` and no bare carriage return, every row with the header's
  number of fields): lines are kept as strings and only the two coordinate fields are
  parsed, all at once with numpy; each output line is the input line plus a precomputed
  `,code,name` suffix per ward. This is what makes a million-row one-off job take about a
  second rather than ten: pandas spent most of its time building and writing text columns.
* **general** (quoted fields, short or long rows, an input that already has a ward column):
  the `csv` module reads records and writes them back with minimal quoting.

The locator's grid is cached on disk per boundary file (`WardLookup.from_file`) in a flat
file that is memory-mapped, not read: a lookup touches only the pages it needs. The cache is
keyed by the file's content; the key is remembered with the file's stat signature
(`cache_path`), so a later run neither reads nor hashes an unchanged boundary file.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import mmap
import struct
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.geo import locator as locator_module
from planning_sv.core.geo.locator import PolygonLocator

WARD_COLUMNS = ("ward_code", "ward_name")


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

        The grid takes seconds to build for England's wards and milliseconds to map back in,
        so a one-off `planning-sv locate` pays for it only the first time. The cache is keyed
        by the file's bytes and the grid parameters; a missing, corrupt or outdated cache file
        is rebuilt. InputInvalid when the boundary file cannot be read.
        """
        try:
            cached = cache_path(cache_dir, path) if cache_dir is not None else None
        except OSError as exc:
            raise InputInvalid(
                [Problem(str(path), f"cannot read: {exc.strerror or exc}")]
            ) from None
        if cached is not None and cached.is_file():
            try:
                return cls.load(cached)
            except (OSError, ValueError, KeyError, TypeError):
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
        """Write the lookup as one flat array file (no pickles), atomically."""
        arrays = self.locator.to_arrays()
        arrays["codes"] = self.codes.astype(str)
        arrays["names"] = self.names.astype(str)
        write_arrays(path, arrays, locator_module.GRID_PARAMETERS)

    @classmethod
    def load(cls, path: Path) -> WardLookup:
        """Map a saved lookup; ValueError when it is from another format or inconsistent."""
        fmt, arrays = read_arrays(path)
        if fmt != locator_module.GRID_PARAMETERS:
            raise ValueError(f"{path} was written by another version of the locator")
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


def _parts(path: Path) -> list[Path]:
    """The files a boundary file is made of: a shapefile's sidecar files too."""
    if path.suffix.lower() == ".shp":
        return sorted(p for p in path.parent.glob(f"{path.stem}.*") if p.is_file())
    return [path]


def cache_key(path: Path) -> str:
    """sha256 of the boundary file's bytes (a shapefile's sidecar files too) and the grid
    parameters: a changed file, or a changed locator, never reuses an old grid."""
    digest = hashlib.sha256(locator_module.GRID_PARAMETERS.encode())
    for part in _parts(path):
        digest.update(part.suffix.lower().encode())
        with part.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:32]


def cache_path(cache_dir: Path, boundary_file: Path) -> Path:
    """Where the grid of `boundary_file` is cached in `cache_dir`."""
    return cache_dir / f"wards-{_remembered_key(cache_dir, boundary_file)}.grid"


# The content key of a boundary file is remembered beside the grids with the file's
# signature (device, inode, size, modification and change times of each of its files), so a
# one-shot run does not read and hash England's 21 MB of wards again (about 20 ms, a
# thirtieth of the run). Any write gives a file a new change time, which the kernel sets and
# no user can put back, so a changed file is hashed anew; a file written in the last seconds
# is always hashed, as its times may not have moved on yet.
_KEYS_FILE = "keys.json"
_SETTLED_NS = 2_000_000_000
_KEYS_KEPT = 64


def _signature(path: Path) -> list[int] | None:
    """The stat signature of a boundary file's parts; None when one changed too recently."""
    now = time.time_ns()
    signature: list[int] = []
    for part in _parts(path):
        st = part.stat()
        if now - max(st.st_mtime_ns, st.st_ctime_ns) < _SETTLED_NS:
            return None
        signature += [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    return signature


def _remembered_key(cache_dir: Path, path: Path) -> str:
    """`cache_key(path)`, from the keys file when the file's signature is unchanged."""
    try:
        signature = _signature(path)
    except OSError:
        signature = None
    if signature is None:
        return cache_key(path)
    name = str(path.resolve())
    keys_file = cache_dir / _KEYS_FILE
    try:
        known = json.loads(keys_file.read_text("utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    entry = known.get(name)
    if (
        isinstance(entry, dict)
        and entry.get("signature") == signature
        and isinstance(entry.get("key"), str)
    ):
        return str(entry["key"])
    key = cache_key(path)
    known.pop(name, None)
    known[name] = {"signature": signature, "key": key}
    kept = dict(list(known.items())[-_KEYS_KEPT:])
    from planning_sv.core.files import write_atomically

    # A read-only cache folder only costs the next run a hash.
    with contextlib.suppress(OSError):
        write_atomically(keys_file, json.dumps(kept))
    return key


# --- the flat array file ------------------------------------------------------------------
#
# magic (8 bytes) | header length (uint64 LE) | JSON header | arrays, each 64-byte aligned.
# The header names each array's dtype, shape and offset from the start of the data. Unlike an
# .npz (a zip whose members are CRC-checked and copied on every load: 1.5 s for England),
# the arrays are views of one read-only memory map, so loading costs what a lookup touches.

_MAGIC = b"PSVGRID1"
_ALIGN = 64
_MAX_HEADER = 1 << 20
# Plain numbers and fixed-width text only: nothing in the file can make numpy run code.
_KINDS = frozenset("biufU")


def write_arrays(path: Path, arrays: Mapping[str, np.ndarray], fmt: str) -> None:
    """Write `arrays` and the format label `fmt` to `path`, atomically."""
    # Imported here: a run that maps an existing grid never writes one.
    from planning_sv.core.files import replacing

    entries = []
    blobs = []
    offset = 0
    for name, value in arrays.items():
        array = np.ascontiguousarray(value)
        if array.dtype.kind not in _KINDS:
            raise ValueError(f"array {name} has dtype {array.dtype}, which cannot be saved")
        entries.append(
            {"name": name, "dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        )
        blobs.append((offset, array))
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
    header = json.dumps({"format": fmt, "arrays": entries}).encode()
    start = -(-(len(_MAGIC) + 8 + len(header)) // _ALIGN) * _ALIGN
    with replacing(path) as handle:
        handle.write(_MAGIC + struct.pack("<Q", len(header)) + header)
        handle.write(b"\0" * (start - handle.tell()))
        for at, array in blobs:
            handle.write(b"\0" * (start + at - handle.tell()))
            handle.write(memoryview(array).cast("B") if array.nbytes else b"")


def read_arrays(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """The format label and read-only arrays of a `write_arrays` file.

    ValueError for anything that is not such a file, or is truncated.
    """
    with path.open("rb") as handle:
        lead = handle.read(len(_MAGIC) + 8)
        if len(lead) < len(_MAGIC) + 8 or lead[: len(_MAGIC)] != _MAGIC:
            raise ValueError(f"{path} is not a locator grid file")
        (size,) = struct.unpack("<Q", lead[len(_MAGIC) :])
        if size > _MAX_HEADER:
            raise ValueError(f"{path} has an implausible header")
        header = json.loads(handle.read(size))
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    start = -(-(len(_MAGIC) + 8 + size) // _ALIGN) * _ALIGN
    if not isinstance(header, dict) or not isinstance(header.get("format"), str):
        raise ValueError(f"{path} has no format label")
    arrays: dict[str, np.ndarray] = {}
    for entry in header.get("arrays", []):
        dtype = np.dtype(entry["dtype"])
        shape = tuple(int(n) for n in entry["shape"])
        if dtype.kind not in _KINDS or any(n < 0 for n in shape):
            raise ValueError(f"{path}: array {entry['name']!r} cannot be read")
        count = int(np.prod(shape, dtype=np.int64))
        offset = start + int(entry["offset"])
        if offset < start or offset + count * dtype.itemsize > len(mapped):
            raise ValueError(f"{path} is truncated")
        array = np.frombuffer(mapped, dtype=dtype, count=count, offset=offset)
        arrays[str(entry["name"])] = array.reshape(shape)
    return header["format"], arrays


# --- the CSV pass ---------------------------------------------------------------------------

# About 37,000 lines of a typical points file: the block's arrays and strings stay in the
# processor's cache and are reused by the allocator rather than mapped afresh (with 4 MB
# blocks, page faults took about an eighth of a one-shot run's processor time).
_BLOCK_CHARS = 1 << 20
# Decimal fields up to this many characters are parsed by numpy; longer ones by float().
_FIELD_WIDTH = 24
# 10**k is exact in binary64 for k <= 22, so mantissa / 10**k is correctly rounded: the same
# double float() returns for the decimal text.
_POW10 = 10.0 ** np.arange(23)


def locate_csv(
    source: IO[str],
    output: IO[str],
    wards: WardLookup,
    *,
    x_column: str,
    y_column: str,
    easting_northing: bool,
    extra: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]] | None = None,
    extra_columns: tuple[str, ...] = (),
    chunk_rows: int = 200_000,
    source_name: str = "input",
) -> LocateSummary:
    """Copy `source` to `output` adding `ward_code` and `ward_name` (and `extra` columns).

    `x_column`/`y_column` are lon/lat, or easting/northing in EPSG:27700 when
    `easting_northing`. `extra(lon, lat)` returns more columns by name, added in the order
    `extra_columns` names them (required with `extra`). An input column with the name of an
    added one is replaced in place. Raises InputInvalid for a missing column or an
    unreadable CSV.
    """
    job = _Job(
        output,
        wards,
        x_column=x_column,
        y_column=y_column,
        easting_northing=easting_northing,
        extra=extra,
        extra_columns=extra_columns,
        chunk_rows=chunk_rows,
        source_name=source_name,
    )
    try:
        job.run(source)
    except UnicodeDecodeError as exc:
        raise InputInvalid([Problem(source_name, f"not UTF-8 text: {exc}")]) from None
    except csv.Error as exc:
        raise InputInvalid([Problem(source_name, f"cannot read as CSV: {exc}")]) from None
    return job.summary


class _Job:
    """One pass over a CSV: the header, then blocks on the fast path or records on the
    general one (see the module docstring)."""

    def __init__(
        self,
        output: IO[str],
        wards: WardLookup,
        *,
        x_column: str,
        y_column: str,
        easting_northing: bool,
        extra: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]] | None,
        extra_columns: tuple[str, ...],
        chunk_rows: int,
        source_name: str,
    ):
        self.output = output
        self.writer = csv.writer(output, lineterminator="\n")
        self.wards = wards
        self.x_column, self.y_column = x_column, y_column
        self.easting_northing = easting_northing
        self.columns_of = extra
        self.extra_columns = extra_columns
        self.chunk_rows = chunk_rows
        self.source_name = source_name
        self.summary = LocateSummary()
        self.width = 0  # fields in the header
        self.kx = self.ky = 0
        self.placed_at: list[int] = []  # output field of each added column, in added order
        # Per ward (and one more for "none", which index -1 picks): its ",code,name" suffix,
        # without and with the line end.
        suffixes = [
            f",{_field(str(c))},{_field(str(n))}"
            for c, n in zip(wards.codes.tolist(), wards.names.tolist(), strict=True)
        ]
        self.suffixes = np.array([*suffixes, ",,"], dtype=object)
        self.line_ends = np.array([f"{s}\n" for s in self.suffixes.tolist()], dtype=object)

    # -- driving

    def run(self, source: IO[str]) -> None:
        if self.columns_of is not None and not self.extra_columns:
            raise ValueError("name the extra columns in extra_columns")

        def remainder(block: str, pending: str) -> Iterable[str]:
            # What is left, as lines: the text read so far completed to a line end, then
            # the source's own lines (a record may continue across them).
            return itertools.chain(_lines(block + pending + source.readline()), source)

        pending = ""
        header_done = False
        eof = False
        while True:
            text = "" if eof else source.read(_BLOCK_CHARS)
            eof = eof or not text
            pending += text
            if eof:
                block, pending = pending, ""
                if block and not block.endswith("\n"):
                    block += "\n"
            else:
                cut = pending.rfind("\n")
                if cut < 0:
                    continue  # a line longer than a block: read on
                block, pending = pending[: cut + 1], pending[cut + 1 :]
            if not header_done:
                block = block.lstrip("\r\n")
                if not block:
                    if eof:
                        raise InputInvalid(
                            [Problem(self.source_name, "the CSV is empty (no header row)")]
                        )
                    continue
                first, _, rest = block.partition("\n")
                if '"' in first or "\r" in first.rstrip("\r"):
                    # A quoted header (which may even span lines): the csv module reads it.
                    self._general(remainder(block, pending), read_header=True)
                    return
                self._header(first.rstrip("\r").split(","))
                header_done = True
                block = rest
                if self.placed_at[0] < self.width:
                    # The input already has a ward column: rows are rebuilt, not extended.
                    self._general(remainder(block, pending), read_header=False)
                    return
            if not self._fast_block(block):
                self._general(remainder(block, pending), read_header=False)
                return
            if eof:
                return

    def _header(self, header: list[str]) -> None:
        missing = [c for c in (self.x_column, self.y_column) if c not in header]
        if missing:
            have = ", ".join(header[:20])
            raise InputInvalid(
                [
                    Problem(self.source_name, f"no column '{c}' (columns are: {have})")
                    for c in missing
                ]
            )
        self.width = len(header)
        self.kx, self.ky = header.index(self.x_column), header.index(self.y_column)
        added = [*WARD_COLUMNS, *self.extra_columns]
        columns = list(header)
        self.placed_at = []
        for name in added:
            if name in columns:
                self.placed_at.append(columns.index(name))
            else:
                self.placed_at.append(len(columns))
                columns.append(name)
        self.out_width = len(columns)
        self.writer.writerow(columns)

    # -- fast path

    def _fast_block(self, block: str) -> bool:
        """Answer a block of whole lines; False (nothing written) when it needs the general
        path: quotes, or a carriage return that is not part of a CRLF line end."""
        if '"' in block:
            return False
        if "\r" in block:
            block = block.replace("\r\n", "\n")
            if "\r" in block:
                return False
        # Padding, so that a field's last bytes can be read as a fixed-width window.
        data = np.frombuffer((block + "\0" * _FIELD_WIDTH).encode(), dtype=np.uint8)
        ends = np.flatnonzero(data == 10)
        if len(ends) and (ends[0] == 0 or bool(np.any(np.diff(ends) == 1))):
            # Blank lines are skipped, as the csv path (and pandas before it) does.
            block = "".join(f"{line}\n" for line in block.split("\n") if line)
            data = np.frombuffer((block + "\0" * _FIELD_WIDTH).encode(), dtype=np.uint8)
            ends = np.flatnonzero(data == 10)
        if not block:
            return True
        lines = block.split("\n")
        lines.pop()  # the empty string after the last line end
        n, c = len(lines), self.width - 1
        commas = np.flatnonzero(data == 44)
        starts = np.empty(n, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        grid = commas.reshape(n, c) if len(commas) == n * c else None
        # n*c commas in all and each row's c commas inside its own line: every line has
        # exactly the header's number of fields. Otherwise the rows are split one by one.
        if grid is None or (
            c and not (np.all(grid[:, 0] >= starts) and np.all(grid[:, -1] < ends))
        ):
            for at in range(0, n, self.chunk_rows):
                self._records([line.split(",") for line in lines[at : at + self.chunk_rows]])
            return True
        for at in range(0, n, self.chunk_rows):
            rows = slice(at, at + self.chunk_rows)

            def field(k: int, rows: slice = rows) -> np.ndarray:
                lo = starts[rows] if k == 0 else grid[rows, k - 1] + 1
                hi = ends[rows] if k == c else grid[rows, k]
                return _parse_decimals(data, lo, hi, lambda i: lines[rows.start + i].split(",")[k])

            self._fast_rows(lines[rows], field(self.kx), field(self.ky))
        return True

    def _fast_rows(self, lines: list[str], x: np.ndarray, y: np.ndarray) -> None:
        """Write `lines` with their added fields, given their coordinates."""
        index, extras = self._answer(x, y)
        if extras:
            tails = [
                ",".join(_field(str(v)) for v in values) for values in zip(*extras, strict=True)
            ]
            suffixes = [
                f"{s},{t}\n" for s, t in zip(self.suffixes[index].tolist(), tails, strict=True)
            ]
        else:
            suffixes = self.line_ends[index].tolist()
        parts: list[str] = [""] * (2 * len(lines))
        parts[0::2] = lines
        parts[1::2] = suffixes
        self.output.write("".join(parts))

    # -- general path

    def _general(self, lines: Iterable[str], *, read_header: bool) -> None:
        """Read the rest with the csv module, starting with the header when `read_header`."""
        reader = csv.reader(lines)
        if read_header:
            for row in reader:
                if row:
                    self._header(row)
                    break
            else:
                raise InputInvalid([Problem(self.source_name, "the CSV is empty (no header row)")])
        chunk: list[list[str]] = []
        for row in reader:
            if row:  # blank lines are skipped
                chunk.append(row)
                if len(chunk) == self.chunk_rows:
                    self._records(chunk)
                    chunk = []
        if chunk:
            self._records(chunk)

    def _records(self, rows: list[list[str]]) -> None:
        """Answer and write parsed records, padding short rows, refusing long ones."""
        for number, row in enumerate(rows, start=self.summary.rows + 1):
            if len(row) > self.width:
                raise InputInvalid(
                    [
                        Problem(
                            self.source_name,
                            f"cannot read as CSV: data row {number} has {len(row)} fields "
                            f"but the header has {self.width}",
                        )
                    ]
                )
        x = np.array([_to_float(r[self.kx]) if self.kx < len(r) else np.nan for r in rows])
        y = np.array([_to_float(r[self.ky]) if self.ky < len(r) else np.nan for r in rows])
        index, extras = self._answer(x, y)
        codes = np.append(self.wards.codes, "")[index]
        names = np.append(self.wards.names, "")[index]
        added = [codes, names, *extras]
        out = []
        for i, row in enumerate(rows):
            record = row + [""] * (self.out_width - len(row))
            for at, values in zip(self.placed_at, added, strict=True):
                record[at] = values[i]
            out.append(record)
        self.writer.writerows(out)

    # -- both

    def _answer(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Ward index per point (-1: none) and the extra columns; counts into the summary."""
        if self.easting_northing:
            from planning_sv.core.geo.coords import bng_to_lonlat

            ok = np.isfinite(x) & np.isfinite(y)
            lon = np.full(len(x), np.nan)
            lat = np.full(len(x), np.nan)
            if ok.any():
                lon[ok], lat[ok] = bng_to_lonlat(x[ok], y[ok])
        else:
            lon, lat = x, y
        index = self.wards.locator.locate(lon, lat)
        extras = []
        if self.columns_of is not None:
            more = self.columns_of(lon, lat)
            extras = [more[name] for name in self.extra_columns]
        bad = ~(np.isfinite(lon) & np.isfinite(lat))
        found = index >= 0
        self.summary.rows += len(index)
        self.summary.unreadable += int(bad.sum())
        self.summary.located += int(found.sum())
        self.summary.outside += int((~found & ~bad).sum())
        return index, extras


def _lines(text: str) -> io.StringIO:
    # newline="" keeps line ends as written, which the csv module needs for quoted fields.
    return io.StringIO(text, newline="")


def _field(value: str) -> str:
    """`value` as one CSV field, quoted only when it must be (as csv.writer does)."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _to_float(text: str) -> float:
    """A coordinate field as a number; NaN for empty or non-numeric text."""
    try:
        return float(text.strip())
    except ValueError:
        return float("nan")


def _parse_decimals(
    data: np.ndarray, lo: np.ndarray, hi: np.ndarray, text_of: Callable[[int], str]
) -> np.ndarray:
    """The numbers in `data[lo[i]:hi[i]]` for every i, as float() would read them.

    Plain decimals (an optional sign, digits, at most one point, at most 18 digits) are
    parsed here a character position at a time over all fields, in small integer arrays;
    anything else (exponents, spaces, text, empty fields) goes through
    `_to_float(text_of(i))`. `data` must extend `_FIELD_WIDTH` bytes past every `hi`.
    """
    n = len(lo)
    length = hi - lo
    bad = (length <= 0) | (length > _FIELD_WIDTH)
    width = int(min(max(length.max(initial=0), 1), _FIELD_WIDTH))
    # chars[j] is the j-th character of every field: contiguous rows for the loop below.
    chars = np.ascontiguousarray(sliding_window_view(data, width)[lo].T)
    short = np.minimum(length, _FIELD_WIDTH + 1).astype(np.uint8)
    mantissa = np.zeros(n, dtype=np.int64)
    shifted = np.empty(n, dtype=np.int64)
    digits = np.zeros(n, dtype=np.uint8)
    decimals = np.zeros(n, dtype=np.uint8)
    points = np.zeros(n, dtype=np.uint8)
    digit = np.empty(n, dtype=np.uint8)
    is_digit = np.empty(n, dtype=bool)
    is_point = np.empty(n, dtype=bool)
    inside = np.empty(n, dtype=bool)
    scratch = np.empty(n, dtype=bool)
    negative = chars[0] == 45 if width else np.zeros(n, dtype=bool)
    signed = negative | (chars[0] == 43) if width else negative
    for j in range(width):
        np.greater(short, j, out=inside)
        np.subtract(chars[j], 48, out=digit)  # wraps: any non-digit is >= 10
        np.less(digit, 10, out=is_digit)
        is_digit &= inside
        np.equal(chars[j], 46, out=is_point)
        is_point &= inside
        np.multiply(mantissa, 10, out=shifted)
        shifted += digit
        np.copyto(mantissa, shifted, where=is_digit)
        digits += is_digit
        np.logical_and(is_digit, points, out=scratch)  # a digit after the point
        decimals += scratch
        points += is_point
        np.logical_or(is_digit, is_point, out=scratch)
        np.logical_not(scratch, out=scratch)
        scratch &= inside  # any other character, except a leading sign
        if j == 0:
            scratch &= ~signed
        bad |= scratch
    bad |= (points > 1) | (digits == 0) | (digits > 18) | (mantissa >= 1 << 53)
    value = mantissa.astype(np.float64)
    value /= _POW10[np.minimum(decimals, 22)]
    np.negative(value, out=value, where=negative)
    for i in np.flatnonzero(bad).tolist():
        value[i] = _to_float(text_of(i))
    return value
