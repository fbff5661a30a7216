"""The open data the app reads: the manifest (planning_sv/data/datasets.yaml), checks and fetching.

Pure: no Flask, no database, so the CLI (`planning-sv data status|fetch`), the web app's
start-up check and the maps all use it.

- `manifest()`: every dataset with publisher, URLs, licence, attribution, vintage, size, SHA-256.
- `map_attribution()`: the line every map and ward download shows.
- `status(data_dir)`: present / missing / checksum mismatch per dataset.
- `missing_required(data_dir)` and `missing_message(...)`: what the app needs and is not there
  (existence only, so it is cheap enough for start-up).
- `fetch(dataset, dest, url)`: download into `<file>.part` (resuming with an HTTP Range
  request when a `.part` is there), check size and SHA-256, then `os.replace` into place.
  A failed or partial download never replaces a file already in place.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from planning_sv import config

MANIFEST_PATH = Path(__file__).resolve().parent / "data" / "datasets.yaml"
FETCH_COMMAND = "planning-sv data fetch"
BUILD_COMMAND = "planning-sv data build"
_CHUNK = 64 * 1024
_USER_AGENT = "planning-sv data fetch"

PRESENT, MISSING, MISMATCH = "present", "missing", "checksum mismatch"


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    file: str  # path under the data folder, "/"-separated
    publisher: str
    licence: str
    licence_url: str
    attribution: str
    vintage: str
    official_url: str | None
    download_url: str | None
    required: bool
    built_by: str | None
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    map_attribution: str
    datasets: tuple[Dataset, ...]

    def get(self, name: str) -> Dataset:
        for dataset in self.datasets:
            if dataset.name == name:
                return dataset
        known = ", ".join(d.name for d in self.datasets)
        raise KeyError(f"no dataset named '{name}' (known: {known})")


class FetchError(RuntimeError):
    """A download failed, or its content did not match the manifest."""


def _parse(raw: dict[str, Any]) -> Manifest:
    fields = Dataset.__dataclass_fields__
    datasets = []
    for entry in raw["datasets"]:
        values = {key: entry.get(key) for key in fields}
        values["file"] = str(values["file"])
        # A file name that climbs out of the data folder would let a manifest write anywhere.
        parts = Path(values["file"]).parts
        if Path(values["file"]).is_absolute() or ".." in parts:
            raise ValueError(f"dataset {entry.get('name')}: file must stay inside the data folder")
        values["size"] = int(values["size"])
        values["required"] = bool(values["required"])
        datasets.append(Dataset(**values))
    return Manifest(map_attribution=str(raw["map_attribution"]), datasets=tuple(datasets))


def load_manifest(path: Path | str) -> Manifest:
    """Read a manifest file (the packaged one, or one a test or an operator writes)."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        return _parse(yaml.safe_load(handle))


@cache
def manifest() -> Manifest:
    """The packaged manifest, read once per process."""
    return load_manifest(MANIFEST_PATH)


# The datasets the code reads by role; their file names live in the manifest only, so no
# council or file name is written in code (tests/core/test_no_council_in_code.py).
WARDS_ENGLAND = "wards-2025-england"
LADS_UK = "lad-2024-uk"
IMD_LSOA11 = "imd-2019-lsoa11-built"
WARD_SUMMARY = "ward-summary-2025"
IMD_FILE_2 = "imd-2019-file-2"
IOD_FILE_6 = "iod-2019-file-6"
POPULATION_LSOA11 = "population-mid2020-lsoa11-totals"
LOOKUP_LSOA11_LSOA21 = "lookup-lsoa11-lsoa21-lad22"
LOOKUP_LSOA21_WARD = "lookup-lsoa21-ward24-lad24"


def file_of(name: str) -> str:
    """The file (under the data folder) of the manifest's dataset `name`."""
    return manifest().get(name).file


def map_attribution() -> str:
    """The attribution every map and ward download shows (ONS boundaries, OS data)."""
    return manifest().map_attribution


def configured_data_dir() -> Path:
    """The data folder the app uses, whether or not it exists yet (fetch may create it)."""
    try:
        return config.data_dir()
    except config.DataDirMissing:
        configured = os.environ.get("PLANNING_SV_DATA_DIR")
        return Path(configured) if configured else config.PROJECT_ROOT.parent / "shared" / "data"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def state_of(dataset: Dataset, data_dir: Path) -> str:
    """PRESENT, MISSING or MISMATCH (size checked first: cheap, and catches truncation)."""
    path = Path(data_dir) / dataset.file
    if not path.is_file():
        return MISSING
    if path.stat().st_size != dataset.size or sha256_of(path) != dataset.sha256:
        return MISMATCH
    return PRESENT


def status(data_dir: Path, datasets: Iterable[Dataset] | None = None) -> list[tuple[Dataset, str]]:
    chosen = manifest().datasets if datasets is None else tuple(datasets)
    return [(dataset, state_of(dataset, data_dir)) for dataset in chosen]


def missing_required(data_dir: Path | None = None, chosen: Manifest | None = None) -> list[Dataset]:
    """Required datasets whose file is not in the folder (existence only: start-up check)."""
    folder = Path(data_dir) if data_dir else configured_data_dir()
    entries = (chosen or manifest()).datasets
    return [d for d in entries if d.required and not (folder / d.file).is_file()]


def missing_message(data_dir: Path, missing: list[Dataset]) -> str:
    """One paragraph naming what is missing and the command that gets it."""
    names = ", ".join(d.name for d in missing)
    where = "" if Path(data_dir) == configured_data_dir() else f" --dest {data_dir}"
    steps = f"run `{FETCH_COMMAND}{where}`"
    if any(d.download_url is None and not d.built_by for d in missing):
        # Merged or subset reference copies have no public URL with the same bytes.
        steps += " (add `--mirror BASE_URL` for files with no public download)"
    if any(d.built_by for d in missing):
        steps += f", then `{BUILD_COMMAND}{where}` for the derived files"
    return (
        f"open data missing from {data_dir}: {len(missing)} dataset(s) the app reads are not "
        f"there: {names}. To get them, {steps}; `planning-sv data status` shows each one."
    )


class DataMissing(config.DataDirMissing):
    """Required open data files are not in the data folder (the message names them)."""


def require(data_dir: Path | None = None) -> Path:
    """The data folder, or DataMissing naming every required file that is not there."""
    folder = Path(data_dir) if data_dir else configured_data_dir()
    missing = missing_required(folder)
    if missing:
        raise DataMissing(missing_message(folder, missing))
    return folder


# ------------------------------------------------------------------ fetching


def source_url(dataset: Dataset, mirror: str | None = None) -> str | None:
    """Where to download the dataset: `MIRROR/<file>` when a mirror is given, else its URL."""
    if mirror:
        quoted = urllib.parse.quote(dataset.file)
        return f"{mirror.rstrip('/')}/{quoted}"
    return dataset.download_url


def _open(url: str, start: int, timeout: float) -> http.client.HTTPResponse:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):  # no file:, ftp: … from a manifest or a flag
        raise FetchError(f"{url}: only http and https URLs are fetched")
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})  # noqa: S310
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - scheme checked
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # the .part already holds every byte
            raise _RangeDone from exc
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: {reason}") from exc


class _RangeDone(Exception):
    pass


def _download_once(
    url: str, part: Path, dataset: Dataset, timeout: float, progress: Callable[[int], None]
) -> None:
    """Append the rest of the file to `part` (from its current length). Raises on a cut."""
    start = part.stat().st_size if part.exists() else 0
    if start > dataset.size:  # longer than the file can be: start again
        part.unlink()
        start = 0
    if start == dataset.size:
        return
    try:
        response = _open(url, start, timeout)
    except _RangeDone:
        return
    with response:
        if start and response.status != 206:  # server ignored Range: the body is the whole file
            part.unlink()
            progress(-start)
            start = 0
        written = start
        with open(part, "ab") as handle:
            while True:
                try:
                    block = response.read(_CHUNK)
                except (http.client.IncompleteRead, OSError) as exc:
                    raise FetchError(f"{url}: connection closed after {written} bytes") from exc
                if not block:
                    break
                written += len(block)
                if written > dataset.size:
                    raise FetchError(
                        f"{url}: more than the expected {dataset.size} bytes; not this file"
                    )
                handle.write(block)
                progress(len(block))
    if written < dataset.size:
        raise FetchError(f"{url}: connection closed after {written} of {dataset.size} bytes")


def fetch(
    dataset: Dataset,
    dest: Path,
    url: str,
    *,
    attempts: int = 3,
    timeout: float = 60.0,
    show_progress: bool | None = None,
) -> Path:
    """Download `dataset` from `url` into `dest`, verified, and return its path.

    The bytes go to `<file>.part`; an interrupted transfer is resumed from there (Range),
    within this call up to `attempts` times and by a later run. Only a file whose size and
    SHA-256 match the manifest is moved into place (`os.replace`, atomic on one file system);
    a mismatching download is deleted and FetchError raised, leaving any existing file alone.
    """
    from tqdm import tqdm

    target = Path(dest) / dataset.file
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    done = part.stat().st_size if part.exists() else 0
    with tqdm(
        total=dataset.size,
        initial=min(done, dataset.size),
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=dataset.name,
        disable=None if show_progress is None else not show_progress,  # None: only on a tty
        leave=False,
    ) as bar:
        last: FetchError | None = None
        for _ in range(max(1, attempts)):
            try:
                _download_once(url, part, dataset, timeout, bar.update)
                last = None
                break
            except FetchError as exc:
                last = exc
        if last is not None:
            raise FetchError(
                f"{last} (the partial download is kept in {part}; run again to resume)"
            )
    actual = sha256_of(part)
    if part.stat().st_size != dataset.size or actual != dataset.sha256:
        part.unlink()
        raise FetchError(
            f"{dataset.name}: checksum mismatch for {url}: got sha256 {actual}, the manifest "
            f"says {dataset.sha256}; the download was deleted"
            + ("; the file already in place was kept" if target.exists() else "")
        )
    os.replace(part, target)
    return target
