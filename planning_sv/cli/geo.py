"""`planning-sv geo import|list` and `planning-sv locate`: boundary vintages and batch placing."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import numpy as np

from planning_sv import config
from planning_sv.cli.common import fail
from planning_sv.core.errors import InputInvalid, Problem


@click.group("geo")
def geo_group() -> None:
    """Ward boundary vintages."""


@geo_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--vintage", required=True, help="label of the boundary set, e.g. 2025 or 2025-05")
@click.option("--code-column", help="ward GSS code column (default: detect WDyyCD)")
@click.option("--name-column", help="ward name column (default: detect WDyyNM)")
@click.option("--lad-column", help="local authority code column (default: detect LADyyCD)")
@click.option("--lad-code", help="the local authority of every ward, if the file has no column")
def geo_import(
    file: Path,
    vintage: str,
    code_column: str | None,
    name_column: str | None,
    lad_column: str | None,
    lad_code: str | None,
) -> None:
    """Import a ward boundary FILE (GeoJSON, GeoPackage, shapefile) as VINTAGE."""
    from planning_sv.core.figures import plural
    from planning_sv.core.geo.boundaries import BoundaryRegistry

    registry = BoundaryRegistry(config.instance_dir())
    try:
        entry, warnings = registry.import_file(
            file,
            vintage,
            code_column=code_column,
            name_column=name_column,
            lad_column=lad_column,
            lad_code=lad_code,
        )
    except InputInvalid as exc:
        fail(exc.problems, heading=f"cannot import {file}")
    # Running apps see the new vintage on their next placement: their GeoCache notices
    # the rewritten registry (core/geo/service.py).
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    lads = ", ".join(entry.lad_codes[:10]) + (" …" if len(entry.lad_codes) > 10 else "")
    click.echo(
        f"imported {plural(entry.features, 'ward')} of {plural(len(entry.lad_codes), 'council')} "
        f"({lads}) as "
        f"vintage {entry.vintage} → {registry.root / entry.file}"
    )


@geo_group.command("list")
def geo_list() -> None:
    """List the boundary vintages available (built-in open data and imports)."""
    from planning_sv.core.geo.service import GeoService

    try:
        service = GeoService.from_data_dir()
    except config.DataDirMissing as exc:
        fail([str(exc)])
    for vintage, files in sorted(service.vintages().items()):
        click.echo(f"{vintage}:")
        for name in files:
            click.echo(f"  {name}")


@click.command("locate")
@click.argument("points", type=click.Path(path_type=Path))
@click.option(
    "--boundaries",
    required=True,
    type=click.Path(path_type=Path),
    help="ward boundary file (any ward file, e.g. the national one)",
)
@click.option("--lat", "lat_column", default=None, help="latitude column (default: lat)")
@click.option("--lon", "lon_column", default=None, help="longitude column (default: lon)")
@click.option("--easting", "easting_column", default=None, help="easting column (EPSG:27700)")
@click.option("--northing", "northing_column", default=None, help="northing column (EPSG:27700)")
@click.option(
    "--lsoa",
    is_flag=True,
    help="also add lsoa11_code and imd2019_decile (for councils whose LSOA boundaries are in the data folder)",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="output CSV (default: stdout)"
)
@click.option("--chunk-rows", type=click.IntRange(min=1), default=200_000, show_default=True)
def locate_command(
    points: Path,
    boundaries: Path,
    lat_column: str | None,
    lon_column: str | None,
    easting_column: str | None,
    northing_column: str | None,
    lsoa: bool,
    output: Path | None,
    chunk_rows: int,
) -> None:
    """Place every row of POINTS.csv in a ward, streaming; adds ward_code and ward_name."""
    from planning_sv.core.geo.batch import WardLookup, locate_csv

    use_en = easting_column is not None or northing_column is not None
    if use_en and (lat_column or lon_column):
        fail([Problem("--easting/--lat", "give either --lat/--lon or --easting/--northing")])
    if use_en and not (easting_column and northing_column):
        fail([Problem("--easting/--northing", "give both --easting and --northing")])
    x_col = easting_column if use_en else (lon_column or "lon")
    y_col = northing_column if use_en else (lat_column or "lat")
    if points.is_dir():
        fail([Problem(str(points), "is a folder, not a CSV file")])
    if not points.is_file():
        fail([Problem(str(points), "file not found")])
    if output is not None and output.resolve() == points.resolve():
        fail([Problem("-o", "the output would overwrite the input")])
    if boundaries.is_dir():
        fail([Problem(str(boundaries), "is a folder, not a boundary file")])
    if not boundaries.is_file():
        fail([Problem(str(boundaries), "file not found")])

    try:
        # The grid is cached by the file's content, so only the first run builds it.
        wards = WardLookup.from_file(boundaries, cache_dir=config.cache_dir() / "locator")
    except InputInvalid as exc:
        fail(exc.problems, heading=f"cannot read boundaries {boundaries}")

    extra = None
    if lsoa:
        extra = _lsoa_columns()

    try:
        raw = points.open("rb")
    except OSError as exc:
        fail([Problem(str(points), f"cannot open: {exc.strerror}")])
    try:
        out_handle = (
            output.open("w", encoding="utf-8", newline="") if output is not None else sys.stdout
        )
    except OSError as exc:
        raw.close()
        fail([Problem("-o", f"cannot write {output}: {exc.strerror}")])
    try:
        with raw, _progress(points.stat().st_size) as bar:
            # Progress follows bytes read, so it is right for a file of any length.
            wrapped = raw if bar is None else _ProgressReader(raw, bar)
            text = io.TextIOWrapper(wrapped, encoding="utf-8-sig", newline="")
            summary = locate_csv(
                text,
                out_handle,
                wards,
                x_column=str(x_col),
                y_column=str(y_col),
                easting_northing=use_en,
                extra=extra,
                extra_columns=LSOA_COLUMNS if lsoa else (),
                chunk_rows=chunk_rows,
                source_name=str(points),
            )
    except InputInvalid as exc:
        fail(exc.problems)
    finally:
        if output is not None:
            out_handle.close()
    click.echo(
        f"{summary.rows} rows: {summary.located} in a ward, {summary.outside} outside every "
        f"ward, {summary.unreadable} without usable coordinates",
        err=True,
    )


@contextlib.contextmanager
def _progress(size: int) -> Iterator[Any]:
    """A tqdm bar over `size` bytes on a terminal; None otherwise (tqdm not even imported,
    which keeps a one-shot run's start-up short)."""
    if not sys.stderr.isatty():
        yield None
        return
    import shutil

    from tqdm import tqdm

    terminal = shutil.get_terminal_size((80, 20))
    with tqdm(
        total=size,
        unit="B",
        unit_scale=True,
        desc="locate",
        # A pseudo-terminal may report a 0x0 size, which hides tqdm's bar.
        ncols=terminal.columns or 80,
        nrows=terminal.lines or 20,
    ) as bar:
        yield bar


class _ProgressReader(io.RawIOBase):
    """A binary file that advances a tqdm bar by the bytes read."""

    def __init__(self, raw: io.BufferedReader, bar: object):
        self._raw = raw
        self._bar = bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)
        if n:
            self._bar.update(n)  # type: ignore[attr-defined]
        return n or 0


LSOA_COLUMNS = ("lsoa11_code", "imd2019_decile")


def _lsoa_columns() -> Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """LSOA 2011 code and IMD 2019 decile for points in the LSOA files of the data folder."""
    from planning_sv.core.geo.service import GeoService

    try:
        service = GeoService.from_data_dir()
    except config.DataDirMissing as exc:
        fail([str(exc)])
    lads = service.lsoa_lad_codes()
    if not lads:
        fail([Problem("--lsoa", f"no LSOA 2011 boundaries in {service.data_dir / 'boundaries'}")])
    tables = [service.lsoa_imd(lad) for lad in lads]

    def extra(lon: np.ndarray, lat: np.ndarray) -> dict[str, np.ndarray]:
        codes = np.full(len(lon), "", dtype=object)
        deciles = np.full(len(lon), "", dtype=object)
        for lsoa_codes, lsoa_deciles, _bng, locator in tables:
            index = locator.locate(lon, lat)
            hit = index >= 0
            codes[hit] = lsoa_codes[index[hit]]
            deciles[hit] = lsoa_deciles[index[hit]].astype(str)
        return dict(zip(LSOA_COLUMNS, (codes, deciles), strict=True))

    return extra


def register(cli: click.Group) -> None:
    """Add this module's commands to the `planning-sv` group."""
    cli.add_command(geo_group)
    cli.add_command(locate_command)
