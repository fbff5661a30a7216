"""Fixtures for the geo tests: the real open data (read-only) and a throwaway instance dir."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from planning_sv import config
from planning_sv.core.geo.service import GeoService

ISLINGTON = "E09000019"
SALFORD = "E08000006"


@pytest.fixture(scope="session")
def data_dir():
    try:
        return config.data_dir()
    except config.DataDirMissing as exc:  # pragma: no cover - CI always has the data
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def service(data_dir, tmp_path_factory):
    """A fresh service (not the process-wide cache) with an empty boundary registry."""
    return GeoService(data_dir, tmp_path_factory.mktemp("instance"))


@pytest.fixture
def make_plan():
    """Build the plan attributes GeoService reads (lad_code, boundary_vintage, local_definition)."""

    def make(lad_code: str = ISLINGTON, local: dict | None = None) -> SimpleNamespace:
        return SimpleNamespace(
            lad_code=lad_code,
            boundary_vintage="2025",
            local_definition=local or {"kind": "borough"},
        )

    return make
