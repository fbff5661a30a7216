"""`locate_csv` over many blocks: rows keep their order and counts, and a block that needs
the csv module hands the rest of the input over with nothing lost or written twice.

Blocks are made tiny (64 characters, two or three rows) so that a short text spans many.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from planning_sv.core.errors import InputInvalid
from planning_sv.core.geo import batch
from planning_sv.core.geo.batch import LocateSummary, WardLookup, locate_csv
from tests.core.geo.test_locator_cache import write_wards

# Alpha is the square west of -0.11, Beta the one east of it (test_locator_cache).
ALPHA = "-0.115,51.555"
BETA = "-0.105,51.555"
ALPHA_OUT = "E05000001,Alpha"
BETA_OUT = "E05000002,Beta"


@pytest.fixture(scope="module")
def wards(tmp_path_factory: pytest.TempPathFactory) -> WardLookup:
    folder = tmp_path_factory.mktemp("wards")
    return WardLookup.from_file(write_wards(Path(folder) / "wards.geojson"))


@pytest.fixture(autouse=True)
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "_BLOCK_CHARS", 64)


def run(wards: WardLookup, text: str, chunk_rows: int = 1000) -> tuple[str, LocateSummary]:
    output = io.StringIO()
    summary = locate_csv(
        io.StringIO(text, newline=""),
        output,
        wards,
        x_column="lon",
        y_column="lat",
        easting_northing=False,
        chunk_rows=chunk_rows,
    )
    return output.getvalue(), summary


def test_rows_over_many_blocks_keep_their_order_and_counts(wards: WardLookup) -> None:
    # 40 rows of about 20 characters: 13 blocks. Row i is in Alpha when i is even, in Beta
    # when it is odd, except every tenth row, which has no coordinates.
    rows = []
    expected = ["id,lon,lat,ward_code,ward_name"]
    for i in range(40):
        if i % 10 == 9:
            rows.append(f"{i},,")
            expected.append(f"{i},,,,")
        elif i % 2 == 0:
            rows.append(f"{i},{ALPHA}")
            expected.append(f"{i},{ALPHA},{ALPHA_OUT}")
        else:
            rows.append(f"{i},{BETA}")
            expected.append(f"{i},{BETA},{BETA_OUT}")
    out, summary = run(wards, "id,lon,lat\n" + "\n".join(rows) + "\n", chunk_rows=3)
    assert out == "\n".join(expected) + "\n"
    # 4 rows without coordinates (9, 19, 29, 39); the other 36 all in a ward.
    assert (summary.rows, summary.located, summary.outside, summary.unreadable) == (40, 36, 0, 4)


def test_a_quoted_field_late_in_the_file_hands_the_rest_to_the_csv_module(
    wards: WardLookup,
) -> None:
    # The quoted row is in about the fifth block; blocks before it were already written by
    # the fast path, and the csv module reads from that block on: every row appears once,
    # in order.
    plain = [f"r{i},{ALPHA if i % 2 else BETA}" for i in range(12)]
    tail = [f"t{i},{BETA}" for i in range(6)]
    text = "\n".join(["name,lon,lat", *plain, f'"a, quoted",{ALPHA}', *tail]) + "\n"
    out, summary = run(wards, text)
    expected = [
        "name,lon,lat,ward_code,ward_name",
        *[f"r{i},{ALPHA},{ALPHA_OUT}" if i % 2 else f"r{i},{BETA},{BETA_OUT}" for i in range(12)],
        f'"a, quoted",{ALPHA},{ALPHA_OUT}',
        *[f"t{i},{BETA},{BETA_OUT}" for i in range(6)],
    ]
    assert out == "\n".join(expected) + "\n"
    assert (summary.rows, summary.located) == (19, 19)


def test_a_long_row_late_in_the_file_is_named_by_its_number(wards: WardLookup) -> None:
    # Row 20 has a fourth field: rows before it are written, the error names row 20.
    rows = [f"{i},{ALPHA}" for i in range(1, 20)] + [f"20,{BETA},extra"] + ["21," + BETA]
    output = io.StringIO()
    with pytest.raises(InputInvalid, match="data row 20 has 4 fields but the header has 3"):
        locate_csv(
            io.StringIO("id,lon,lat\n" + "\n".join(rows) + "\n", newline=""),
            output,
            wards,
            x_column="lon",
            y_column="lat",
            easting_northing=False,
        )
    written = output.getvalue().splitlines()
    assert written[0] == "id,lon,lat,ward_code,ward_name"
    assert written[1] == f"1,{ALPHA},{ALPHA_OUT}"
    # Nothing of row 20 or after.
    assert all(not line.startswith(("20,", "21,")) for line in written)


def test_short_rows_in_a_middle_block_are_padded(wards: WardLookup) -> None:
    # Rows with a missing trailing note are padded; they sit between plain blocks.
    rows = [f"{ALPHA},n{i}" for i in range(8)] + [ALPHA, BETA] + [f"{BETA},m{i}" for i in range(8)]
    out, summary = run(wards, "lon,lat,note\n" + "\n".join(rows) + "\n")
    lines = out.splitlines()
    assert lines[0] == "lon,lat,note,ward_code,ward_name"
    assert lines[1] == f"{ALPHA},n0,{ALPHA_OUT}"
    assert lines[9] == f"{ALPHA},,{ALPHA_OUT}"
    assert lines[10] == f"{BETA},,{BETA_OUT}"
    assert lines[18] == f"{BETA},m7,{BETA_OUT}"
    assert len(lines) == 19 and summary.located == 18
