"""`planning-sv councils add`: any English council starts from the national data.

A London borough (Camden) and a metropolitan borough (Manchester) get packs that pass
`plans check`, and their public ward pages list exactly the wards the national 2025 ward
file has for them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import yaml
from click.testing import CliRunner

from planning_sv import datasets
from planning_sv.cli import cli
from planning_sv.config import LOCAL_PLANS_DIR, data_dir
from planning_sv.core.plans import check_plans, read_plans
from planning_sv.core.rules.scenarios import run_scenarios
from planning_sv.store.assessments import Assessor
from tests.conftest import make_app

COUNCILS = {
    "E09000007": ("London Borough of Camden", "camden"),
    "E08000003": ("Manchester City Council", "manchester"),
}


def _national_wards(lad_code: str) -> set[str]:
    path = data_dir() / datasets.file_of(datasets.WARDS_ENGLAND)
    frame = gpd.read_file(path, columns=["WD25CD", "LAD25CD"], where=f"LAD25CD = '{lad_code}'")
    return set(frame["WD25CD"])


@pytest.fixture(scope="module")
def plans_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plans") / "local_plans"
    shutil.copytree(LOCAL_PLANS_DIR, root)
    runner = CliRunner()
    for lad_code, (name, _code) in COUNCILS.items():
        result = runner.invoke(
            cli, ["councils", "add", lad_code, "--name", name, "--root", str(root)]
        )
        assert result.exit_code == 0, result.output
    return root


def test_the_new_packs_pass_plans_check_and_their_scenarios(plans_root: Path) -> None:
    assert check_plans(plans_root) == []
    plans, _ = read_plans(plans_root)
    assert plans["camden"].name == "London Borough of Camden"
    assert plans["camden"].lad_code == "E09000007"
    assert [r.id for r in plans["camden"].rules] == ["CAMDEN-LP21-E11-SKILLS-EMPLOYMENT"]
    assert plans["manchester"].rules == ()  # no London Plan outside London
    new = run_scenarios([plans["camden"]])
    assert len(new) == 3 and all(o.passed for o in new), [o.failures for o in new]
    for code in ("camden", "manchester"):
        assert [d.name for d in plans[code].definitions] == ["major_development"]


def test_the_statutory_blocks_are_the_same_in_every_pack(plans_root: Path) -> None:
    template = yaml.safe_load((LOCAL_PLANS_DIR / "_templates" / "statutory.yaml").read_text())
    for council in ("islington", "salford", "camden", "manchester"):
        parameters = yaml.safe_load((plans_root / council / "parameters.yaml").read_text())
        plan = yaml.safe_load((plans_root / council / "plan.yaml").read_text())
        for name, spec in template["parameters"].items():
            assert parameters["parameters"][name] == spec, (council, name)
        assert (
            plan["definitions"]["major_development"] == template["definitions"]["major_development"]
        )


def test_adding_a_council_twice_or_a_welsh_one_is_refused(plans_root: Path) -> None:
    runner = CliRunner()
    again = runner.invoke(cli, ["councils", "add", "E09000007", "--root", str(plans_root)])
    assert again.exit_code == 1
    assert "E09000007 already has a rule pack: local_plans/camden/" in again.output
    welsh = runner.invoke(cli, ["councils", "add", "W06000015", "--root", str(plans_root)])
    assert welsh.exit_code == 1
    assert "'W06000015' is not an English local authority code" in welsh.output
    shipped = runner.invoke(cli, ["councils", "add", "E09000019", "--root", str(plans_root)])
    assert "E09000019 already has a rule pack: local_plans/islington/" in shipped.output


@pytest.fixture(scope="module")
def client(plans_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("instance")
    assessor = Assessor(instance_dir=folder, plans_dir=plans_root)
    app = make_app(f"sqlite:///{folder / 'test.db'}", ASSESSOR=assessor)
    return app.test_client()


@pytest.mark.parametrize("lad_code", sorted(COUNCILS))
def test_public_ward_pages_list_the_national_wards(client: Any, lad_code: str) -> None:
    name, code = COUNCILS[lad_code]
    expected = _national_wards(lad_code)
    assert len(expected) == {"E09000007": 20, "E08000003": 32}[lad_code]
    page = client.get(f"/councils/{code}/wards")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    listed = set(re.findall(rf'href="/councils/{code}/wards/(E05\d{{6}})"', html))
    assert listed == expected
    one = sorted(expected)[0]
    ward = client.get(f"/councils/{code}/wards/{one}")
    assert ward.status_code == 200
    index = client.get("/councils").get_data(as_text=True)
    assert name in index
