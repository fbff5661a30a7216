"""`locate_csv`: the fast path (plain lines) and the csv-module path write the same thing."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from planning_sv.core.errors import InputInvalid
from planning_sv.core.geo.batch import WardLookup, _parse_decimals, locate_csv
from tests.core.geo.test_locator_cache import write_wards

# Alpha is the square west of -0.11, Beta the one east of it (test_locator_cache).
IN_ALPHA = "-0.115,51.555"
IN_BETA = "-0.105,51.555"


@pytest.fixture(scope="module")
def wards(tmp_path_factory: pytest.TempPathFactory) -> WardLookup:
    folder = tmp_path_factory.mktemp("wards")
    return WardLookup.from_file(write_wards(Path(folder) / "wards.geojson"))


def run(wards: WardLookup, text: str, chunk_rows: int = 2, **kwargs: object) -> str:
    output = io.StringIO()
    locate_csv(
        io.StringIO(text, newline=""),
        output,
        wards,
        x_column="lon",
        y_column="lat",
        easting_northing=False,
        chunk_rows=chunk_rows,
        **kwargs,  # type: ignore[arg-type]
    )
    return output.getvalue()


def test_plain_lines_are_copied_with_the_ward_appended(wards: WardLookup) -> None:
    text = f"id,lon,lat\n1,{IN_ALPHA}\n2,{IN_BETA}\n3,-0.05,51.555\n4,,\n5,x,51.5\n"
    assert run(wards, text) == (
        "id,lon,lat,ward_code,ward_name\n"
        f"1,{IN_ALPHA},E05000001,Alpha\n"
        f"2,{IN_BETA},E05000002,Beta\n"
        "3,-0.05,51.555,,\n"
        "4,,,,\n"
        "5,x,51.5,,\n"
    )


def test_crlf_blank_lines_and_no_final_line_end(wards: WardLookup) -> None:
    text = f"lon,lat\r\n\r\n{IN_ALPHA}\r\n\r\n{IN_BETA}"
    assert run(wards, text) == (
        f"lon,lat,ward_code,ward_name\n{IN_ALPHA},E05000001,Alpha\n{IN_BETA},E05000002,Beta\n"
    )


def test_quoted_fields_go_through_the_csv_module(wards: WardLookup) -> None:
    # A quoted note with a comma and a line break; the unneeded quotes round "-0.105" go.
    text = f'note,lon,lat\nplain,{IN_ALPHA}\n"two\nlines, here","-0.105",51.555\n'
    assert run(wards, text, chunk_rows=1) == (
        "note,lon,lat,ward_code,ward_name\n"
        f"plain,{IN_ALPHA},E05000001,Alpha\n"
        '"two\nlines, here",-0.105,51.555,E05000002,Beta\n'
    )


def test_short_rows_are_padded_and_long_rows_refused(wards: WardLookup) -> None:
    assert run(wards, f"lon,lat,note\n{IN_ALPHA}\n{IN_BETA},b\n") == (
        f"lon,lat,note,ward_code,ward_name\n{IN_ALPHA},,E05000001,Alpha\n"
        f"{IN_BETA},b,E05000002,Beta\n"
    )
    with pytest.raises(InputInvalid, match="data row 2 has 3 fields but the header has 2"):
        run(wards, f"lon,lat\n{IN_ALPHA}\n{IN_BETA},extra\n")


def test_an_existing_ward_column_is_replaced_in_place(wards: WardLookup) -> None:
    text = f"ward_code,lon,lat\nold,{IN_BETA}\n"
    assert run(wards, text) == f"ward_code,lon,lat,ward_name\nE05000002,{IN_BETA},Beta\n"


def test_the_fast_path_matches_float_for_every_spelling() -> None:
    texts = [
        "51.5", "-0.1150000", "+2", ".5", "5.", "-0", "0", "1e-5", " 51.5 ", "", "-", ".",
        "1.2.3", "abc", "nan", "inf", "123456789012345678", "1234567890123456789",
        "0.000000000000000000001", "51.5x", "--1", "1-", "9007199254740993",
    ]  # fmt: skip
    data = np.frombuffer(("\n".join(texts) + "\n" + "\0" * 24).encode(), dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    starts = np.concatenate([[0], ends[:-1] + 1])
    values = _parse_decimals(data, starts, ends, lambda i: texts[i])

    def reference(text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return float("nan")

    expected = np.array([reference(t) for t in texts])
    assert np.array_equal(values, expected, equal_nan=True)
    assert np.array_equal(np.signbit(values), np.signbit(expected))
    assert values[1] == -0.115 and values[7] == 1e-5 and values[8] == 51.5
    assert np.isnan(values[9]) and np.isnan(values[13])
