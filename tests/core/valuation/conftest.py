"""Fixtures for valuation tests: an instance folder per test, a value-set store on each
database lane, and a valuer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from valuation_helpers import Registry

from planning_sv.core.valuation import Valuer
from planning_sv.store.db import Database


@pytest.fixture(autouse=True)
def _instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "instance"
    monkeypatch.setenv("PLANNING_SV_INSTANCE_DIR", str(folder))
    return folder


@pytest.fixture
def registry(database: Database) -> Registry:
    return Registry(database)


@pytest.fixture
def valuer() -> Valuer:
    return Valuer()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def _write(text: str, name: str = "values.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
