"""`planning-sv data build` rebuilds the per-council files from the national ones: Islington's
and Salford's come out with the same content as the shipped reference copies."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planning_sv import config
from planning_sv.cli import cli
from planning_sv.data_build import IMD_FILE, SUMMARY_FILE


def _same(built: pd.DataFrame, shipped: pd.DataFrame) -> None:
    """Equal cell by cell; numbers equal to 1e-9 whatever their formatting."""
    assert list(built.columns) == list(shipped.columns)
    assert len(built) == len(shipped)
    for column in shipped.columns:
        for mine, theirs in zip(built[column], shipped[column], strict=True):
            if isinstance(theirs, str):
                assert mine == theirs, column
            else:
                assert math.isclose(float(mine), float(theirs), abs_tol=1e-9), column


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("rebuilt")
    source = str(config.data_dir())
    # Salford first, then Islington: the second build adds its rows beside the first's.
    for lad in ("E08000006", "E09000019"):
        result = CliRunner().invoke(
            cli, ["data", "build", "--council", lad, "--dest", str(dest), "--source", source]
        )
        assert result.exit_code == 0, result.output
    return dest


def test_rebuilt_ward_summary_matches_the_shipped_file(rebuilt: Path) -> None:
    shipped = pd.read_csv(config.data_dir() / SUMMARY_FILE)
    built = pd.read_csv(rebuilt / SUMMARY_FILE)
    _same(built, shipped)
    # Figures from PROVENANCE.md: 17 + 20 wards; borough totals 248,115 and 262,698.
    assert built.groupby("lad_code").size().to_dict() == {"E08000006": 20, "E09000019": 17}
    totals = built.groupby("lad_code")["pop_mid2020_best_fit"].sum().to_dict()
    assert totals == {"E08000006": 262698, "E09000019": 248115}
    barton = built.set_index("ward_code").loc["E05013018"]
    assert (barton["ward_name"], barton["pop_mid2020_best_fit"]) == ("Barton & Winton", 14761)


def test_rebuilt_imd_rows_match_the_shipped_file(rebuilt: Path) -> None:
    shipped = pd.read_csv(config.data_dir() / IMD_FILE)
    built = pd.read_csv(rebuilt / IMD_FILE)
    _same(built, shipped)
    assert built.groupby("lad19cd").size().to_dict() == {"E08000006": 150, "E09000019": 123}
    # Decile counts from PROVENANCE.md: Islington 6 in decile 1, Salford 45.
    first = built[built["imd_decile"] == 1].groupby("lad19cd").size().to_dict()
    assert first == {"E08000006": 45, "E09000019": 6}


def test_ward_boundaries_written_for_a_council_without_them(rebuilt: Path) -> None:
    salford = json.loads(
        (rebuilt / "boundaries" / "wards_2025_bgc_salford_E08000006.geojson").read_text("utf-8")
    )
    codes = [f["properties"]["WD25CD"] for f in salford["features"]]
    assert codes == [f"E050130{n}" for n in range(18, 38)]  # E05013018 .. E05013037


def test_rebuilding_one_council_keeps_the_others_rows(rebuilt: Path) -> None:
    before = (rebuilt / SUMMARY_FILE).read_bytes()
    source = str(config.data_dir())
    result = CliRunner().invoke(
        cli,
        ["data", "build", "--council", "E09000019", "--dest", str(rebuilt), "--source", source],
    )
    assert result.exit_code == 0, result.output
    assert "built    E09000019: 123 LSOAs, 17 wards" in result.output
    assert (rebuilt / SUMMARY_FILE).read_bytes() == before


def test_bad_council_code_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["data", "build", "--council", "Islington", "--dest", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "error: --council: 'Islington' is not an English LAD code like E09000001" in (
        result.output
    )
