"""`planning-sv locate` with a boundary file it cannot read: a clear error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from planning_sv.cli import cli
from planning_sv.core.errors import InputInvalid
from planning_sv.core.geo.batch import WardLookup


@pytest.fixture
def points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLANNING_SV_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "points.csv"
    path.write_text("lon,lat\n-0.1,51.5\n", "utf-8")
    return path


def test_a_missing_boundary_file_is_named(points: Path, tmp_path: Path) -> None:
    missing = tmp_path / "none.geojson"
    result = CliRunner().invoke(cli, ["locate", str(points), "--boundaries", str(missing)])
    assert result.exit_code == 2
    assert f"{missing}: file not found" in result.stderr
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)


def test_a_folder_given_as_boundaries_is_named(points: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["locate", str(points), "--boundaries", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path}: is a folder, not a boundary file" in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_an_unreadable_boundary_file_is_input_invalid(tmp_path: Path) -> None:
    # The library call names the file rather than raising an OSError.
    with pytest.raises(InputInvalid, match=r"none\.geojson: cannot read: No such file"):
        WardLookup.from_file(tmp_path / "none.geojson", cache_dir=tmp_path / "cache")
