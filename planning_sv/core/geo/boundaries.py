"""Ward boundary files and the registry of imported vintages.

A boundary file (GeoJSON, GeoPackage, shapefile; any declared CRS) is normalised to three
columns, `code`, `name`, `lad_code`, plus geometry in EPSG:4326. ONS column names are detected
(`WD25CD`/`WD25NM`/`LAD25CD`, any two-digit year) or given explicitly.

Imported files live under `<instance_dir>/boundaries/<vintage>/` as GeoPackages with a
`registry.json` beside them, so several vintages coexist and each placement can name its own.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.files import write_atomically

VINTAGE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
_WARD_CODE_COLUMN = re.compile(r"^WD\d{2}CD$", re.IGNORECASE)
_WARD_NAME_COLUMN = re.compile(r"^WD\d{2}NM$", re.IGNORECASE)
_LAD_CODE_COLUMN = re.compile(r"^LAD\d{2}CD$", re.IGNORECASE)
# Fallbacks seen in ONS extracts that lack LADyyCD (e.g. the 2020 BGC per-LAD files).
_LAD_FALLBACKS = ("LADCD_ACTIVE", "LAD_CODE", "lad_code")
_LAD_IN_FILENAME = re.compile(r"(E0[6-9]\d{6})")


_LAD_CODE = re.compile(r"^[EWSN]\d{8}$")


def _pick(columns: list[str], pattern: re.Pattern[str]) -> str | None:
    # Several years in one file (WD24CD and WD25CD): the latest year is the file's vintage.
    matches = sorted((c for c in columns if pattern.match(c)), reverse=True)
    return matches[0] if matches else None


def read_boundary_file(
    path: Path,
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    lad_column: str | None = None,
    lad_code: str | None = None,
    only_lad: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Read and normalise a ward boundary file; returns (frame, warnings).

    `only_lad` reads just that local authority's wards of a national file (a LAD code such
    as E09000007, checked here because it becomes part of the reader's filter).
    Raises InputInvalid naming the file or option at fault.
    """
    where = str(path)
    if not path.exists():
        raise InputInvalid([Problem(where, "file not found")])
    selection: dict[str, str] = {}
    if only_lad is not None:
        if not _LAD_CODE.match(only_lad):
            raise InputInvalid([Problem("lad_code", f"not a local authority code: {only_lad!r}")])
        lad_field = _pick(list(gpd.read_file(path, rows=1).columns), _LAD_CODE_COLUMN)
        if lad_field is not None:
            selection["where"] = f"{lad_field} = '{only_lad}'"
    try:
        frame = gpd.read_file(path, **selection)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputInvalid([Problem(where, f"cannot read as a boundary file: {exc}")]) from None
    if frame.crs is None:
        raise InputInvalid(
            [Problem(where, "the file declares no coordinate reference system (CRS)")]
        )
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    problems: list[Problem] = []
    code_col = code_column or _pick(columns, _WARD_CODE_COLUMN)
    name_col = name_column or _pick(columns, _WARD_NAME_COLUMN)
    lad_col = lad_column or _pick(columns, _LAD_CODE_COLUMN)
    if lad_col is None:
        lad_col = next((c for c in _LAD_FALLBACKS if c in columns), None)
    # Naming the columns the file does have lets the user pick the right option at once
    # (or see that it is not a ward file at all, e.g. LAD22CD in a district file).
    has = f"the file's columns: {', '.join(columns[:20])}" + (" …" if len(columns) > 20 else "")
    for option, column in (
        ("--code-column", code_col),
        ("--name-column", name_col),
        ("--lad-column", lad_col),
    ):
        if column is not None and column not in columns:
            problems.append(Problem(option, f"no column '{column}' in {where} ({has})"))
    if code_col is None:
        problems.append(
            Problem(
                "--code-column",
                f"no ward code column (WDyyCD) found in {where}; name it ({has})",
            )
        )
    if name_col is None:
        problems.append(
            Problem(
                "--name-column",
                f"no ward name column (WDyyNM) found in {where}; name it ({has})",
            )
        )
    if lad_col is None and lad_code is None:
        from_name = _LAD_IN_FILENAME.search(path.name)
        if from_name:
            lad_code = from_name.group(1)
        else:
            problems.append(
                Problem(
                    "--lad-column",
                    f"no local authority column (LADyyCD) found in {where}; name it or give "
                    "--lad-code",
                )
            )
    if problems:
        raise InputInvalid(problems)

    out = gpd.GeoDataFrame(
        {
            "code": frame[code_col].astype(str).str.strip(),
            "name": frame[name_col].astype(str).str.strip(),
            "lad_code": (
                frame[lad_col].astype(str).str.strip()
                if lad_col
                else pd.Series(lad_code, index=frame.index)
            ),
        },
        geometry=frame.geometry.values,
        crs=frame.crs,
    ).to_crs("EPSG:4326")

    warnings: list[str] = []
    empty = out.geometry.isna() | out.geometry.is_empty
    if empty.any():
        warnings.append(f"dropped {int(empty.sum())} features without geometry")
        out = out[~empty]
    invalid = ~out.geometry.is_valid
    if invalid.any():
        out.loc[invalid, "geometry"] = shapely.make_valid(out.geometry[invalid].values)
        warnings.append(
            f"repaired {int(invalid.sum())} invalid geometries with make_valid: "
            + ", ".join(out.loc[invalid, "code"].head(10))
        )
    polygonal = out.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not polygonal.all():
        # make_valid may return collections; keep the areas.
        out.loc[~polygonal, "geometry"] = [
            shapely.union_all(
                [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
            )
            for g in out.geometry[~polygonal]
        ]
    duplicated = out["code"].duplicated(keep="first")
    if duplicated.any():
        warnings.append(
            f"dropped {int(duplicated.sum())} features repeating a ward code: "
            + ", ".join(out.loc[duplicated, "code"].head(10))
        )
        out = out[~duplicated]
    if len(out) == 0:
        raise InputInvalid([Problem(where, "the file holds no ward polygons")])
    return out.reset_index(drop=True), warnings


@dataclass(frozen=True)
class ImportedFile:
    vintage: str
    file: str  # path relative to the registry folder
    source: str
    features: int
    lad_codes: list[str]
    imported_at: str


class BoundaryRegistry:
    """Imported boundary vintages under `<instance_dir>/boundaries/`."""

    def __init__(self, instance_dir: Path):
        self.root = instance_dir / "boundaries"
        self.index_path = self.root / "registry.json"

    def entries(self) -> list[ImportedFile]:
        if not self.index_path.exists():
            return []
        data = json.loads(self.index_path.read_text(encoding="utf-8"))
        return [ImportedFile(**entry) for entry in data.get("imports", [])]

    def import_file(
        self,
        path: Path,
        vintage: str,
        *,
        code_column: str | None = None,
        name_column: str | None = None,
        lad_column: str | None = None,
        lad_code: str | None = None,
    ) -> tuple[ImportedFile, list[str]]:
        if not VINTAGE.match(vintage):
            raise InputInvalid(
                [Problem("--vintage", f"'{vintage}' is not a vintage label like 2025 or 2025-05")]
            )
        frame, warnings = read_boundary_file(
            path,
            code_column=code_column,
            name_column=name_column,
            lad_column=lad_column,
            lad_code=lad_code,
        )
        folder = self.root / vintage
        folder.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^0-9A-Za-z._-]", "_", path.stem)[:80] or "wards"
        target = folder / f"{stem}.gpkg"
        frame.to_file(target, driver="GPKG", layer="wards")
        entry = ImportedFile(
            vintage=vintage,
            file=str(target.relative_to(self.root)),
            source=str(path.resolve()),
            features=len(frame),
            lad_codes=sorted(frame["lad_code"].unique().tolist()),
            imported_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        # Re-importing the same file for the same vintage replaces the earlier entry.
        kept = [e for e in self.entries() if not (e.vintage == vintage and e.file == entry.file)]
        write_atomically(
            self.index_path, json.dumps({"imports": [asdict(e) for e in [*kept, entry]]}, indent=2)
        )
        return entry, warnings

    def read(self, entry: ImportedFile) -> gpd.GeoDataFrame:
        return gpd.read_file(self.root / entry.file, layer="wards")
