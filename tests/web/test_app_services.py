"""Long-lived services hang on the app (`app.extensions["planning_sv"]`), not on modules:
two apps in one process with different data or instance folders share nothing, and a
running app picks up a newly imported boundary vintage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from planning_sv import config
from planning_sv.core.geo.boundaries import BoundaryRegistry
from planning_sv.web import Services, services

ISLINGTON_WARDS = "boundaries/wards_2025_bgc_islington_E09000019.geojson"


def _own_app(
    app_with: Callable[..., Flask],
    instance: Path,
    monkeypatch: pytest.MonkeyPatch,
    **settings: object,
) -> Flask:
    """An app as production builds it (its own assessor, not the tests' shared one), with
    `instance` as its instance folder."""
    monkeypatch.setenv("PLANNING_SV_INSTANCE_DIR", str(instance))
    return app_with(ASSESSOR=None, **settings)


def test_two_apps_with_different_folders_share_no_services(
    app_with: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = config.data_dir()
    first = _own_app(app_with, tmp_path / "a", monkeypatch)
    second = _own_app(app_with, tmp_path / "b", monkeypatch, DATA_DIR=data)
    one: Services = first.extensions["planning_sv"]
    two: Services = second.extensions["planning_sv"]
    assert one is not two
    assert one.assessor is not two.assessor and one.display is not two.display
    assert one.geo is not two.geo
    assert (one.geo.instance_dir, two.geo.instance_dir) == (tmp_path / "a", tmp_path / "b")
    assert two.geo.data_dir == data
    # Each app's sessions carry that app's assessor (for the store's assessments).
    for app, own in ((first, one), (second, two)):
        with app.app_context():
            assert services() is own
        with app.extensions["planning_sv.db"].session() as session:
            assert session.info["planning_sv.assessor"] is own.assessor
    # Wards drawn for one app are not reused by the other.
    lad = "E09000019"
    drawn = one.display_wards("2025", lad)
    assert one.display_wards("2025", lad) is drawn
    assert two.display_wards("2025", lad) is not drawn


def test_a_running_app_sees_a_boundary_vintage_imported_after_it_started(
    app_with: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "own-instance"
    app = _own_app(app_with, instance, monkeypatch)
    own: Services = app.extensions["planning_sv"]
    before = own.geo
    assert "2031" not in before.vintages()
    drawn = own.display_wards("2025", "E09000019")
    # What `planning-sv geo import FILE --vintage 2031` does, from another process.
    BoundaryRegistry(instance).import_file(config.data_dir() / ISLINGTON_WARDS, "2031")
    after = own.geo
    assert after is not before and "2031" in after.vintages()
    assert set(after.ward_names("2031", "E09000019")) == set(after.ward_names("2025", "E09000019"))
    # The drawn wards of the old service are not served for the new one.
    assert own.display_wards("2025", "E09000019") is not drawn
