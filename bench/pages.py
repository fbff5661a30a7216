"""Benchmark: size and server-side render time of the public ward pages (not a test).

    python bench/pages.py [--repeat N]

Builds the app on a temporary SQLite database filled by `planning-sv demo seed`, then
requests each council's borough page and one ward page (the ward of the first approved
scheme's site) N times through Flask's test client. Prints, per page, the HTML size in KB
and the median render time in ms, each with its ratio to the limit (≤ 400 KB, < 300 ms;
ratio < 1 is within the limit). The first request of each page is a warm-up (it loads the
boundaries and postcodes once per process, as a running server does) and is not counted.
The last line summarises:

    pages=<n> max_kb=<x> max_kb_ratio=<x/400> max_median_ms=<y> max_ms_ratio=<y/300> within_limits=<true|false>
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planning_sv.store.models import Statement

LIMIT_KB = 400.0
LIMIT_MS = 300.0
COUNCILS = ("islington", "salford")


def seed_demo(url: str) -> None:
    """`planning-sv db upgrade` and `planning-sv demo seed` on `url`, through the CLI."""
    from click.testing import CliRunner

    from planning_sv.cli import cli

    runner = CliRunner()
    for args in (["db", "upgrade", "--url", url], ["demo", "seed", "--url", url]):
        result = runner.invoke(cli, args)
        if result.exit_code != 0:
            raise SystemExit(f"planning-sv {' '.join(args[:2])} failed:\n{result.output}")


def site_ward(app, council: str) -> str:  # type: ignore[no-untyped-def]
    """The ward of the first approved scheme's site (a ward page with content)."""
    from sqlalchemy import select

    with app.extensions["planning_sv.db"].session() as session:
        statement = session.scalar(
            select(Statement)
            .where(Statement.council == council, Statement.status == "approved")
            .order_by(Statement.id)
        )
        if statement is None or statement.latest_version is None:
            raise SystemExit(f"the demo data has no approved {council} statement")
        return statement.latest_version.assessment.data["site"]["wards"][0]["code"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    args = parser.parse_args()

    from planning_sv.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        seed_demo(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
        client = app.test_client()
        pages = []
        for council in COUNCILS:
            pages.append(f"/councils/{council}/wards")
            pages.append(f"/councils/{council}/wards/{site_ward(app, council)}")

        print(f"{'page':<44} {'KB':>7} {'KB/400':>7} {'median ms':>10} {'ms/300':>7}")
        sizes, medians = [], []
        for path in pages:
            warm = client.get(path)
            if warm.status_code != 200:
                raise SystemExit(f"{path} answered {warm.status_code}")
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            kb = len(response.data) / 1024
            median = statistics.median(times)
            sizes.append(kb)
            medians.append(median)
            print(
                f"{path:<44} {kb:7.1f} {kb / LIMIT_KB:7.2f} {median:10.1f} {median / LIMIT_MS:7.2f}"
            )
        app.extensions["planning_sv.db"].dispose()

    max_kb, max_ms = max(sizes), max(medians)
    within = max_kb <= LIMIT_KB and max_ms < LIMIT_MS
    print(
        f"pages={len(pages)} max_kb={max_kb:.1f} max_kb_ratio={max_kb / LIMIT_KB:.2f} "
        f"max_median_ms={max_ms:.1f} max_ms_ratio={max_ms / LIMIT_MS:.2f} "
        f"within_limits={'true' if within else 'false'}"
    )


if __name__ == "__main__":
    main()
