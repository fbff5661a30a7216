"""Started without the open data, the app says which datasets are missing and how to get
them: in the log and `planning-sv serve` (one message, exit 1), and as a plain 503 to
visitors; never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from planning_sv import datasets
from planning_sv.cli import cli

# The 11 datasets the packaged manifest marks required (the files the app reads).
REQUIRED = (
    "wards-2025-islington, wards-2025-salford, wards-2020-islington, wards-2020-salford, "
    "wards-2025-england, lad-2024-uk, lsoa-2011-islington, lsoa-2011-salford, "
    "codepoint-open-2025-10, imd-2019-lsoa11-built, ward-summary-2025"
)


def test_app_without_data_answers_503_naming_the_fix(
    app_with: Callable[..., Flask], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    empty = tmp_path / "no-data"
    empty.mkdir()
    with caplog.at_level(logging.ERROR):
        app = app_with(ASSESSOR=None, DATA_DIR=empty)
    assert app.config["DATA_MISSING"].startswith(
        f"open data missing from {empty}: 11 dataset(s) the app reads are not there: {REQUIRED}."
    )
    assert app.config["DATA_MISSING"] in caplog.text
    for path in ("/", "/councils/islington", "/sign-in"):
        response = app.test_client().get(path)
        assert response.status_code == 503
        assert response.mimetype == "text/plain"
        body = response.get_data(as_text=True)
        assert "11 dataset(s) missing" in body
        assert "`planning-sv data fetch`" in body
        assert str(empty) not in body  # the folder is for the operator's log only


def test_app_with_data_has_no_missing_message(app: Flask) -> None:
    assert "DATA_MISSING" not in app.config


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "0"],
        ["assess", "tests/fixtures/islington_mixed_use.json", "--format", "text"],
    ],
)
def test_serve_and_assess_without_data_give_one_clear_message(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANNING_SV_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"open data missing from {tmp_path}: 11 dataset(s)" in result.output
    assert REQUIRED in result.output
    assert f"run `{datasets.FETCH_COMMAND}` (add `--mirror BASE_URL`" in result.output
    assert "Traceback" not in result.output
