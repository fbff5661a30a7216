"""Any English council can start: no council's name, code or data file is written in code.

Councils live in `local_plans/<council>/` (their names and LAD codes in plan.yaml) and the
open data's file names in the manifest (planning_sv/data/datasets.yaml). Code that named
one of them would work for that council only.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from planning_sv import datasets
from planning_sv.config import LOCAL_PLANS_DIR, PROJECT_ROOT

CODE = sorted((PROJECT_ROOT / "planning_sv").rglob("*.py"))


def _council_words() -> set[str]:
    words: set[str] = set()
    for plan_file in LOCAL_PLANS_DIR.glob("*/plan.yaml"):
        plan = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
        words.add(plan["council"])
        words.add(plan["lad_code"])
        # "London Borough of Islington" -> "Islington"; "Salford City Council" -> "Salford".
        words.update(
            w
            for w in re.findall(r"[A-Z][a-z]{3,}", plan["name"])
            if w not in {"London", "Borough", "City", "Council", "Metropolitan", "District"}
        )
    return words


def _data_file_names() -> set[str]:
    return {Path(d.file).name for d in datasets.manifest().datasets}


def test_the_words_searched_for_are_real() -> None:
    words = _council_words()
    assert {"islington", "salford", "Islington", "Salford", "E09000019", "E08000006"} <= words
    assert "wards_2025_bgc_england.geojson" in _data_file_names()


def test_no_council_name_code_or_data_file_name_in_code() -> None:
    words = _council_words()
    pattern = re.compile(
        "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE
    )
    files = _data_file_names()
    found = []
    for path in CODE:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(PROJECT_ROOT)}:{number}"
            if pattern.search(line):
                found.append(f"{where}: {line.strip()}")
            found.extend(f"{where}: {name}" for name in files if name in line)
    assert found == []
