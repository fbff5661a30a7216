"""How long `planning-sv plans impact` takes over N stored statements (not a test).

    python bench/impact.py --statements 10000

Uses the cached synthetic database of bench/seed.py (seeded on first use), writes a draft of
each council's pack that raises one threshold or rate, and times the comparison of every
stored statement of both councils under the pack in force and the draft, as the command
does (reading the statements from the database included). Prints per council and a last
line `statements=N seconds=S` (S: both councils together). Target: 10,000 in <= 30 s.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import seed  # noqa: E402

# (council, parameter, new value): a draft that raises a figure the rules use.
DRAFTS = (
    ("islington", "affordable_workspace_threshold_town_centre_pel_sqm", 9000),
    ("salford", "major_min_dwellings", 50),
)


def draft_pack(council: str, parameter: str, value: float, folder: Path) -> Path:
    from planning_sv.config import LOCAL_PLANS_DIR

    draft = folder / council
    shutil.copytree(LOCAL_PLANS_DIR / council, draft)
    path = draft / "parameters.yaml"
    text = path.read_text(encoding="utf-8")
    block = re.search(rf"(?ms)^  {parameter}:\n.*?(?=^  \w|\Z)", text)
    assert block is not None, parameter
    changed = re.sub(r"value: [\d.]+", f"value: {value}", block.group(0))
    path.write_text(text.replace(block.group(0), changed), encoding="utf-8")
    return draft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=10_000)
    args = parser.parse_args()

    from planning_sv.core.impact import compare
    from planning_sv.core.plans import load_plans, read_draft_pack
    from planning_sv.store.db import Database
    from planning_sv.store.impact import impact_cases

    url, _info = seed.bench_database(args.statements)
    plans = load_plans()
    database = Database(url)
    total_seconds = 0.0
    total_statements = 0
    with tempfile.TemporaryDirectory() as tmp:
        for council, parameter, value in DRAFTS:
            draft, problems = read_draft_pack(
                draft_pack(council, parameter, value, Path(tmp)), council
            )
            assert draft is not None and not problems, problems
            started = time.perf_counter()
            with database.session() as session:
                report = compare(plans[council], draft, impact_cases(session, council))
            seconds = time.perf_counter() - started
            total_seconds += seconds
            total_statements += report.statements
            print(
                f"{council}: {report.statements:,} statements in {seconds:.1f} s "
                f"({1000 * seconds / max(report.statements, 1):.2f} ms each); "
                f"{len(report.changed_statements):,} change; "
                f"{len(report.unassessable):,} cannot be assessed under one of the packs "
                f"({parameter} -> {value})"
            )
    database.dispose()
    print(f"statements={total_statements} seconds={total_seconds:.1f}")


if __name__ == "__main__":
    main()
