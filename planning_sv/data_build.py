"""`planning-sv data build`: rebuild the per-council files the app reads from the national files.

For each council (LAD 2024 code), from the national inputs in the data folder:

- the IMD LSOA file (manifest `imd-2019-lsoa11-built`): the council's LSOA 2011 rows of IoD 2019 File 2
  (ranks and deciles, snake_case), with File 6's mid-2015 populations and the ONS mid-2020
  LSOA totals.
- the ward summary (manifest `ward-summary-2025`): per current ward,
  best-fit population and IMD summary (PROVENANCE.md, "derived/"): LSOA 2011 -> LSOA 2021
  (a split LSOA gives each child an equal share; a merged one gives each parent its whole
  weight), LSOA 2021 -> ward 2024 best fit, then sums and population-weighted figures.
- `boundaries/wards_2025_bgc_<name>_<LAD>.geojson`: the council's wards from the national
  ward file, written only when the council has no ward file yet (the shipped ones are the
  publisher's bytes and are kept).

The two CSVs keep their names (the app reads them by name) and hold every council built so
far: building one council replaces only that council's rows.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planning_sv import datasets
from planning_sv.core.geo.population import WARD_SUMMARY_FILE

# Every file by its manifest role (planning_sv/data/datasets.yaml holds the names).
IMD_FILE = datasets.file_of(datasets.IMD_LSOA11)
SUMMARY_FILE = WARD_SUMMARY_FILE  # the file geo and valuation read
FILE_2 = datasets.file_of(datasets.IMD_FILE_2)
FILE_6 = datasets.file_of(datasets.IOD_FILE_6)
POP_2020 = datasets.file_of(datasets.POPULATION_LSOA11)
LSOA11_TO_21 = datasets.file_of(datasets.LOOKUP_LSOA11_LSOA21)
LSOA21_TO_WARD = datasets.file_of(datasets.LOOKUP_LSOA21_WARD)
ENGLAND_WARDS = datasets.file_of(datasets.WARDS_ENGLAND)
LAD_CODE = re.compile(r"^E0[6-9]\d{6}$")

# File 2's rank/decile columns in order, as the snake_case stems the app's CSV uses.
_DOMAINS = (
    "imd",
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "barriers_housing_services",
    "living_environment",
)
_FILE_6_COLUMNS = (
    "pop_mid2015_total",
    "pop_mid2015_0_15",
    "pop_mid2015_16_59",
    "pop_mid2015_60plus",
    "pop_mid2015_working_age_18_59_64",
)


class BuildError(RuntimeError):
    """An input is missing or the council is unknown."""


@dataclass(frozen=True)
class Built:
    lad_code: str
    lsoa_count: int
    ward_count: int
    files: tuple[str, ...]


def _need(source: Path, name: str) -> Path:
    path = source / name
    if not path.is_file():
        raise BuildError(f"input {name} is not in {source} (run `planning-sv data fetch`)")
    return path


def council_imd(source: Path, lad_code: str) -> pd.DataFrame:
    """The council's LSOA 2011 rows: IMD 2019 ranks/deciles with mid-2015 and mid-2020 pops."""
    wards = pd.read_csv(_need(source, LSOA21_TO_WARD), dtype=str)
    lsoa21 = set(wards.loc[wards["LAD24CD"] == lad_code, "LSOA21CD"])
    if not lsoa21:
        raise BuildError(f"--council: {lad_code} has no wards in {LSOA21_TO_WARD}")
    links = pd.read_csv(_need(source, LSOA11_TO_21), dtype=str)
    lsoa11 = set(links.loc[links["LSOA21CD"].isin(lsoa21), "LSOA11CD"])

    file2 = pd.read_csv(_need(source, FILE_2), encoding="utf-8-sig", thousands=",")
    file2.columns = ["lsoa11cd", "lsoa11nm", "lad19cd", "lad19nm"] + [
        f"{stem}_{kind}" for stem in _DOMAINS for kind in ("rank", "decile")
    ]
    file6 = pd.read_csv(_need(source, FILE_6), encoding="utf-8-sig", thousands=",")
    file6 = file6.iloc[:, [0, 4, 5, 6, 7, 8]]
    file6.columns = ["lsoa11cd", *_FILE_6_COLUMNS]
    pop2020 = pd.read_csv(_need(source, POP_2020), usecols=["lsoa11cd", "pop_mid2020_total"])

    rows = file2[file2["lsoa11cd"].isin(lsoa11)]
    rows = rows.merge(file6, on="lsoa11cd", how="left").merge(pop2020, on="lsoa11cd", how="left")
    if rows.empty:
        raise BuildError(f"--council: no English LSOAs of {lad_code} in {FILE_2}")
    return rows.sort_values("lsoa11cd").reset_index(drop=True)


def ward_summary(source: Path, imd: pd.DataFrame) -> pd.DataFrame:
    """Best-fit ward figures from the council's LSOA rows (see the module docstring)."""
    links = pd.read_csv(_need(source, LSOA11_TO_21), usecols=["LSOA11CD", "LSOA21CD"])
    links = links[links["LSOA11CD"].isin(imd["lsoa11cd"])]
    # A split LSOA 2011 (one parent, n children) gives each child 1/n of it.
    links = links.assign(w=1 / links.groupby("LSOA11CD")["LSOA21CD"].transform("count"))
    wards = pd.read_csv(
        _need(source, LSOA21_TO_WARD), usecols=["LSOA21CD", "WD24CD", "WD24NM", "LAD24CD"]
    )
    # One row per (LSOA 2011, LSOA 2021 child in a ward).
    pairs = links.merge(wards, on="LSOA21CD").merge(imd, left_on="LSOA11CD", right_on="lsoa11cd")
    out = []
    for (lad, code, name), rows in pairs.groupby(["LAD24CD", "WD24CD", "WD24NM"], sort=True):
        # Weight per LSOA 2011 in this ward (children of one parent in one ward add up).
        one = rows.groupby("LSOA11CD").agg(
            w=("w", "sum"),
            pop20=("pop_mid2020_total", "first"),
            pop15=("pop_mid2015_total", "first"),
            rank=("imd_rank", "first"),
            decile=("imd_decile", "first"),
        )
        pop20 = one["w"] * one["pop20"]
        total = pop20.sum()
        out.append(
            {
                "lad_code": lad,
                "ward_code": code,
                "ward_name": name,
                "lsoa11_count_weighted": round(float(one["w"].sum()), 2),
                "pop_mid2020_best_fit": round(total),
                "pop_mid2015_best_fit": round(float((one["w"] * one["pop15"]).sum())),
                "imd_rank_pop_weighted_mean": round(float((pop20 * one["rank"]).sum() / total)),
                "imd_rank_min": int(one["rank"].min()),
                # Median over the LSOA 2011 -> 2021 links in the ward (as shipped).
                "imd_decile_median": float(rows["imd_decile"].median()),
                "pop_share_imd_decile_1": round(float(pop20[one["decile"] == 1].sum() / total), 3),
                "pop_share_imd_deciles_1_2": round(
                    float(pop20[one["decile"] <= 2].sum() / total), 3
                ),
            }
        )
    return pd.DataFrame(out)


def _merge_write(path: Path, new: pd.DataFrame, lad_column: str, keys: list[str]) -> None:
    """Replace `new`'s councils' rows in the CSV at `path` (atomically), keep the rest."""
    if path.is_file():
        old = pd.read_csv(path, dtype={lad_column: str})
        old = old[~old[lad_column].isin(set(new[lad_column]))]
        new = pd.concat([old, new], ignore_index=True) if len(old) else new
    new = new.sort_values(keys).reset_index(drop=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            new.to_csv(handle, index=False, lineterminator="\n")
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _ward_boundaries(source: Path, dest: Path, lad_code: str) -> str | None:
    """Write the council's 2025 ward file from the national one, if it has none yet."""
    if list((dest / "boundaries").glob(f"wards_2025_bgc_*_{lad_code}.geojson")):
        return None
    import geopandas as gpd

    # Only the council's rows are read (lad_code matched LAD_CODE, so it is safe in SQL).
    england = gpd.read_file(_need(source, ENGLAND_WARDS), where=f"LAD25CD = '{lad_code}'")
    wards = england[england["LAD25CD"] == lad_code].sort_values("WD25CD")
    if wards.empty:
        return None
    slug = re.sub(r"[^a-z0-9]+", "_", str(wards["LAD25NM"].iloc[0]).lower()).strip("_")
    name = f"boundaries/wards_2025_bgc_{slug}_{lad_code}.geojson"
    (dest / "boundaries").mkdir(parents=True, exist_ok=True)
    wards.to_file(dest / name, driver="GeoJSON")
    return name


def build(lad_code: str, source: Path, dest: Path | None = None) -> Built:
    """Rebuild the council's rows (and ward file if missing) in `dest` from `source`."""
    if not LAD_CODE.match(lad_code):
        raise BuildError(f"--council: '{lad_code}' is not an English LAD code like E09000001")
    dest = dest or source
    imd = council_imd(source, lad_code)
    summary = ward_summary(source, imd)
    _merge_write(dest / IMD_FILE, imd, "lad19cd", ["lsoa11cd"])
    _merge_write(dest / SUMMARY_FILE, summary, "lad_code", ["lad_code", "ward_code"])
    files = [IMD_FILE, SUMMARY_FILE]
    boundaries = _ward_boundaries(source, dest, lad_code)
    if boundaries:
        files.append(boundaries)
    return Built(lad_code, len(imd), len(summary), tuple(files))
