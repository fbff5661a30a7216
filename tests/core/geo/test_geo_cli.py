"""`planning-sv locate`, `geo import` and `geo list`."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from planning_sv.cli import cli
from planning_sv.core.geo.batch import WardLookup, locate_csv

POSTCODES = "postcodes/codepoint_open_2025-10_islington_salford_plus_1km.csv"
WARDS_ISLINGTON = "boundaries/wards_2025_bgc_islington_E09000019.geojson"
WARDS_SALFORD = "boundaries/wards_2025_bgc_salford_E08000006.geojson"


@pytest.fixture
def runner(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("PLANNING_SV_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("PLANNING_SV_DATA_DIR", str(data_dir))
    # Each command builds its own GeoService: nothing to clear between tests.
    return CliRunner()


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_locate_whole_codepoint_file_in_chunks(runner, data_dir, tmp_path):
    out = tmp_path / "out.csv"
    result = runner.invoke(
        cli,
        [
            "locate",
            str(data_dir / POSTCODES),
            "--boundaries",
            str(data_dir / WARDS_ISLINGTON),
            "--chunk-rows",
            "4000",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    with open(data_dir / POSTCODES, newline="", encoding="utf-8") as handle:
        source = list(csv.DictReader(handle))
    assert len(rows) == len(source) == 25_793
    # Every input column copied verbatim, in order, then the two ward columns.
    assert list(rows[0]) == [*source[0].keys(), "ward_code", "ward_name"]
    assert all(
        r["postcode"] == s["postcode"] and r["lat"] == s["lat"]
        for r, s in zip(rows, source, strict=True)
    )
    by_postcode = {r["postcode"]: r for r in rows}
    assert by_postcode["N19 5RQ"]["ward_code"] == "E05013707"
    assert by_postcode["N19 5RQ"]["ward_name"] == "Junction"
    # Salford and Camden postcodes are outside Islington's wards: empty, not dropped.
    assert by_postcode["M5 4WT"]["ward_code"] == "" and by_postcode["M5 4WT"]["ward_name"] == ""
    assert by_postcode["NW5 1TL"]["ward_code"] == ""
    islington = sum(1 for r in rows if r["ward_code"])
    assert 5_000 < islington < 8_000
    assert "25793 rows" in result.stderr


def test_locate_easting_northing_and_lsoa(runner, data_dir, tmp_path):
    source = tmp_path / "pts.csv"
    source.write_text(
        "id,e,n,note\n"
        "1,382137,398564,M5 4WT\n"
        '2,376534,401901,"Swinton, M28 2LY"\n'
        "3,,,no coordinates\n"
        "4,530967,185107,Islington\n",
        encoding="utf-8",
    )
    out = tmp_path / "o.csv"
    result = runner.invoke(
        cli,
        [
            "locate",
            str(source),
            "--boundaries",
            str(data_dir / WARDS_SALFORD),
            "--easting",
            "e",
            "--northing",
            "n",
            "--lsoa",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert [r["ward_code"] for r in rows] == ["E05013028", "E05013032", "", ""]
    assert rows[1]["note"] == "Swinton, M28 2LY"
    assert rows[0]["lsoa11_code"] == "E01032907" and rows[0]["imd2019_decile"] == "2"
    assert rows[3]["lsoa11_code"] == "E01033486"  # an Islington LSOA, outside Salford's wards
    assert "1 without usable coordinates" in result.stderr


def test_locate_missing_column_exits_2(runner, data_dir, tmp_path):
    source = tmp_path / "pts.csv"
    source.write_text("latitude,longitude\n51.5,-0.1\n", encoding="utf-8")
    result = runner.invoke(
        cli, ["locate", str(source), "--boundaries", str(data_dir / WARDS_ISLINGTON)]
    )
    assert result.exit_code == 2
    assert "no column 'lon'" in result.stderr and "no column 'lat'" in result.stderr
    result = runner.invoke(
        cli,
        [
            "locate",
            str(source),
            "--boundaries",
            str(data_dir / WARDS_ISLINGTON),
            "--lat",
            "latitude",
            "--lon",
            "longitude",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "51.5,-0.1,,"


def test_locate_unreadable_files_exit_2(runner, data_dir, tmp_path):
    result = runner.invoke(
        cli, ["locate", str(tmp_path / "none.csv"), "--boundaries", str(data_dir / WARDS_ISLINGTON)]
    )
    assert result.exit_code == 2 and "file not found" in result.stderr
    result = runner.invoke(
        cli, ["locate", str(tmp_path), "--boundaries", str(data_dir / WARDS_ISLINGTON)]
    )
    assert result.exit_code == 2 and "is a folder, not a CSV file" in result.stderr
    result = runner.invoke(
        cli,
        [
            "locate",
            str(data_dir / POSTCODES),
            "--boundaries",
            str(data_dir / WARDS_ISLINGTON),
            "-o",
            str(tmp_path / "no-such-folder" / "out.csv"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "error: -o: cannot write" in result.stderr
    assert "No such file or directory" in result.stderr
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"lat,lon\n\xff\xfe\x00\x81,1\n")
    result = runner.invoke(
        cli, ["locate", str(binary), "--boundaries", str(data_dir / WARDS_ISLINGTON)]
    )
    assert result.exit_code == 2 and "UTF-8" in result.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = runner.invoke(
        cli, ["locate", str(empty), "--boundaries", str(data_dir / WARDS_ISLINGTON)]
    )
    assert result.exit_code == 2 and "empty" in result.stderr
    result = runner.invoke(cli, ["locate", str(data_dir / POSTCODES), "--boundaries", str(empty)])
    assert result.exit_code == 2 and "cannot read" in result.stderr
    result = runner.invoke(
        cli,
        [
            "locate",
            str(data_dir / POSTCODES),
            "--boundaries",
            str(data_dir / WARDS_ISLINGTON),
            "--lat",
            "lat",
            "--easting",
            "easting",
        ],
    )
    assert result.exit_code == 2


def test_locate_csv_memory_is_per_chunk(data_dir):
    # 10 chunks of 3 rows: each chunk is written before the next is read.
    lookup = WardLookup.from_file(data_dir / WARDS_ISLINGTON)
    source = io.StringIO("lon,lat\n" + "-0.107138,51.55633\n" * 30)
    output = io.StringIO()
    summary = locate_csv(
        source,
        output,
        lookup,
        x_column="lon",
        y_column="lat",
        easting_northing=False,
        chunk_rows=3,
    )
    assert summary.rows == 30 and summary.located == 30
    lines = output.getvalue().splitlines()
    assert lines[0] == "lon,lat,ward_code,ward_name"
    assert len(lines) == 31 and set(lines[1:]) == {"-0.107138,51.55633,E05013697,Arsenal"}


def test_geo_import_and_list(runner, data_dir, tmp_path):
    result = runner.invoke(
        cli, ["geo", "import", str(data_dir / WARDS_SALFORD), "--vintage", "2025-12"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 20 wards of 1 council (E08000006) as vintage 2025-12" in result.stdout
    result = runner.invoke(cli, ["geo", "list"])
    assert result.exit_code == 0
    assert "2020:" in result.stdout and "2025:" in result.stdout and "2025-12:" in result.stdout
    result = runner.invoke(cli, ["geo", "import", str(tmp_path / "nope.shp"), "--vintage", "2026"])
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_geo_import_of_a_district_file_names_its_columns(runner, data_dir):
    # ONS district (LAD) boundaries are not wards: the error says so and lists the columns.
    shapefile = data_dir / "boundaries/lad2022_bgc_london_shapefile/london-2021-lad22-gen20.shp"
    if not shapefile.exists():
        pytest.skip("London LAD 2022 shapefile not in the data folder")
    result = runner.invoke(cli, ["geo", "import", str(shapefile), "--vintage", "2022"])
    assert result.exit_code == 2
    assert "error: --code-column: no ward code column (WDyyCD) found" in result.stderr
    assert "the file's columns: LAD22NM, LAD22CD" in result.stderr
    assert "Traceback" not in result.output
