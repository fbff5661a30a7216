"""Benchmark: server time and size of the pages whose cost grows with the statements (not a test).

    python bench/pages.py --statements N [--database-url URL] [--repeat K] [--compare-to N0]

Seeds N synthetic statements over both councils (bench/seed.py: a realistic mix of statuses,
about 30% approved, commitments from the measures catalogue placed by ward, postcode, point
and borough-wide, approvals spread over six years) into a fresh database: a SQLite file
cached under instance/bench/ by N and schema revision, or `--database-url` (an empty
PostgreSQL database). Then, in process through Flask's test client, requests each page K
times after one warm-up and prints the median server time and the size:

* public, per council: the borough map, the busiest ward's page, the scheme list (when the
  app has one), and the borough and ward CSV and GeoJSON downloads;
* officer, signed in: the queue without filters, by status and by ward;
* API, with a bearer token: the first page of statements and a deep page.

Public pages are timed as rendered (the per-process page store of web/page_cache.py is off
here; bench/load.py measures it in use). The API's deep pages are the deepest `?page=N` it
serves (web/api.py MAX_OFFSET) and its last page by cursor. A CPU column (this process's
CPU time per request) sits beside the wall median: on a shared machine wall time is mostly
waiting for a core.

Limits (for N = 100,000): every page ≤ 300 ms and ≤ 400 KB; every download ≤ 2 s; with
`--compare-to N0` (1,000 is the baseline the issue names, measured afresh in the same run)
no page more than 2x its time or size at N0, times under 20 ms counting as 20 ms. Downloads
list every commitment line of a ward, so their size grows with N by nature; they are held
to the 2 s limit. The last line:

    statements=N worst_page_ms=<x> worst_page_kb=<y> export_s=<z> [grown_pages=<n>] within_limits=<true|false>
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import seed  # noqa: E402

LIMIT_MS = 300.0
LIMIT_KB = 400.0
LIMIT_EXPORT_S = 2.0
LIMIT_RATIO = 2.0  # a page at N may cost at most twice what it costs at --compare-to
NOISE_MS = 20.0
COUNCILS = ("islington", "salford")


@dataclass
class Case:
    name: str
    path: str
    export: bool = False
    who: str = "public"  # public | officer:<council> | token:<council>


@dataclass
class Result:
    name: str
    path: str
    export: bool
    status: int
    kb: float
    median_ms: float
    cpu_ms: float = 0.0  # median CPU time of this process per request (less load-bound)


def scheme_list_paths(app: Any, council: str) -> list[str]:
    """The public scheme list's path for `council`, when the app has such a page."""
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if (
                rule.endpoint.startswith("public.")
                and "scheme" in rule.endpoint
                and set(rule.arguments) == {"council"}
                and "GET" in (rule.methods or ())
            ):
                return [url_for(rule.endpoint, council=council)]
    return []


def deep_cursor(app: Any, email: str, total: int, per_page: int = 20) -> str:
    """The API's `next` cursor into its last page for `email` (made here in process: walking
    thousands of pages to reach it would time the walk, not the page)."""
    from planning_sv.store import statements as repo
    from planning_sv.store.keyset import CursorCodec
    from planning_sv.store.users import get_user_by_email

    last = max(1, math.ceil(total / per_page) - 1)  # the page before the last
    with app.extensions["planning_sv.db"].session() as session:
        user = get_user_by_email(session, email)
        found = repo.visible_page(session, user, page=last, per_page=per_page)
        if found.following is None:
            raise SystemExit(f"no page after page {last} of {total} statements")
        return CursorCodec(app.secret_key).dumps(repo.NEWEST_FIRST, found.following)


def cases(app: Any, info: seed.SeedInfo, api_total: dict[str, int], cursor: str = "") -> list[Case]:
    out = []
    for council in COUNCILS:
        ward = info.busiest_ward[council]
        base = f"/councils/{council}/wards"
        out += [
            Case(f"{council} borough map", base),
            Case(f"{council} ward page", f"{base}/{ward}"),
            *[Case(f"{council} scheme list", p) for p in scheme_list_paths(app, council)],
            Case(f"{council} borough CSV", f"{base}.csv", export=True),
            Case(f"{council} borough GeoJSON", f"{base}.geojson", export=True),
            Case(f"{council} ward CSV", f"{base}/{ward}.csv", export=True),
            Case(f"{council} ward GeoJSON", f"{base}/{ward}.geojson", export=True),
        ]
    council = COUNCILS[-1]
    ward = info.busiest_ward[council]
    # The deepest page numbers serve (web/api.py MAX_OFFSET), and the last page by cursor.
    deep = min(max(1, math.ceil(api_total[council] / 20) - 1), 1_000 // 20 + 1)
    out += [
        Case("officer queue", "/officer/", who=f"officer:{council}"),
        Case("officer queue by status", "/officer/?status=under_review", who=f"officer:{council}"),
        Case("officer queue by ward", f"/officer/?ward={ward}", who=f"officer:{council}"),
        # Case management (store/cases.py): by target date, overdue, and a search for one
        # application by its reference (bench/seed.py references: BENCH/<COUNCIL>/<year>/<id>/FUL).
        Case("officer queue by target date", "/officer/?sort=target", who=f"officer:{council}"),
        Case("officer queue overdue", "/officer/?overdue=1&sort=target", who=f"officer:{council}"),
        Case(
            "officer queue search by reference",
            f"/officer/?q=BENCH/{council.upper()}/2024/000123",
            who=f"officer:{council}",
        ),
        Case("API statements, first page", "/api/v1/statements", who=f"token:{council}"),
        Case(
            "API statements, deepest page number",
            f"/api/v1/statements?page={deep}&per_page=20",
            who=f"token:{council}",
        ),
        Case(
            "API statements, last page by cursor",
            f"/api/v1/statements?per_page=20&cursor={cursor}",
            who=f"token:{council}",
        ),
    ]
    return out


def measure(statements: int, database_url: str | None, repeat: int) -> list[Result]:
    from planning_sv.store.users import create_token, get_user_by_email
    from planning_sv.web import create_app

    url, info = seed.bench_database(statements, database_url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            # Rendering is what is timed: the per-process page store (web/page_cache.py)
            # would answer every repeat from memory. bench/load.py measures it in use.
            "PUBLIC_PAGE_CACHE_BYTES": 0,
        }
    )
    logging.getLogger("planning_sv.access").setLevel(logging.WARNING)  # a line per request
    database = app.extensions["planning_sv.db"]
    tokens: dict[str, str] = {}
    with database.session() as session:
        for council in COUNCILS:
            officer = get_user_by_email(session, info.officers[council])
            assert officer is not None
            tokens[council] = create_token(session, officer, "bench")[1]
    # The API's own count of what the officer may see decides how deep the deep page is.
    api_total: dict[str, int] = {}
    for council in COUNCILS:
        first = app.test_client().get(
            "/api/v1/statements", headers={"Authorization": f"Bearer {tokens[council]}"}
        )
        api_total[council] = int((first.get_json(silent=True) or {}).get("total") or 0)
    clients: dict[str, Any] = {"public": app.test_client()}
    for council in COUNCILS:
        client = app.test_client()
        signed = client.post(
            "/sign-in", data={"email": info.officers[council], "password": seed.BENCH_PASSWORD}
        )
        if signed.status_code != 302:
            raise SystemExit(f"signing in as {info.officers[council]}: {signed.status_code}")
        clients[f"officer:{council}"] = client
        clients[f"token:{council}"] = app.test_client()

    print(
        f"{'page':<36} {'status':>6} {'KB':>8} {'KB/400':>7} {'median ms':>10} {'cpu ms':>8} "
        f"{'limit':>6}",
        flush=True,
    )
    results = []
    cursor = deep_cursor(app, info.officers[COUNCILS[-1]], api_total[COUNCILS[-1]])
    for case in cases(app, info, api_total, cursor):
        client = clients[case.who]
        headers = {}
        if case.who.startswith("token:"):
            headers["Authorization"] = f"Bearer {tokens[case.who.split(':')[1]]}"
        client.get(case.path, headers=headers).close()  # warm-up: loads boundaries once
        times, cpu = [], []
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(case.path, headers=headers)
            body = response.data  # a streamed download counts until its last byte
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            response.close()
        kb = len(body) / 1024
        median = statistics.median(times)
        limit = LIMIT_EXPORT_S * 1000 if case.export else LIMIT_MS
        results.append(
            Result(
                case.name,
                case.path,
                case.export,
                response.status_code,
                kb,
                median,
                statistics.median(cpu),
            )
        )
        print(
            f"{case.name:<36} {response.status_code:>6} {kb:8.1f} "
            f"{'' if case.export else f'{kb / LIMIT_KB:.2f}':>7} {median:10.1f} "
            f"{statistics.median(cpu):8.1f} {median / limit:6.2f}",
            flush=True,
        )
    database.dispose()
    results_file(statements, database_url).write_text(
        json.dumps([r.__dict__ for r in results], indent=1), encoding="utf-8"
    )
    return results


def results_file(statements: int, database_url: str | None) -> Path:
    lane = "postgresql" if database_url else "sqlite"
    return seed.cache_dir() / f"pages-{lane}-{statements}-{seed.cache_key()}.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=1_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page")
    parser.add_argument("--compare-to", type=int, help="print ratios to this N (e.g. 1000)")
    args = parser.parse_args()

    baseline: dict[str, Result] = {}
    if args.compare_to:
        # Measured now, by the same code under the same load (a cached figure from earlier
        # code or a quieter hour would make the ratios say nothing). Always the SQLite lane.
        print(f"--- baseline at {args.compare_to:,} statements", flush=True)
        baseline = {r.name: r for r in measure(args.compare_to, None, args.repeat)}
        print(f"--- {args.statements:,} statements", flush=True)

    results = measure(args.statements, args.database_url, args.repeat)
    grown = []
    if baseline:
        print(
            f"\nratio to {args.compare_to:,} statements (pages: at most x{LIMIT_RATIO:g}; "
            f"times under {NOISE_MS:g} ms count as {NOISE_MS:g} ms, timer noise on a shared "
            "machine; downloads grow with the ward's lines and are held to their time limit):"
        )
        for r in results:
            old = baseline.get(r.name)
            if old is None or old.median_ms <= 0:
                continue
            time_ratio = max(r.median_ms, NOISE_MS) / max(old.median_ms, NOISE_MS)
            size_ratio = r.kb / max(old.kb, 0.001)
            flag = ""
            if not r.export and (time_ratio > LIMIT_RATIO or size_ratio > LIMIT_RATIO):
                grown.append(r.name)
                flag = "  over"
            print(
                f"{r.name:<36} time x{r.median_ms / old.median_ms:6.2f} "
                f"(judged x{time_ratio:5.2f})  cpu x{r.cpu_ms / max(old.cpu_ms, 0.001):6.2f}  "
                f"size x{size_ratio:6.2f}{flag}"
            )

    failed = [r for r in results if r.status != 200]
    for r in failed:
        print(f"error: {r.path} answered {r.status}")
    pages = [r for r in results if not r.export]
    exports = [r for r in results if r.export]
    worst_ms = max(r.median_ms for r in pages)
    worst_kb = max(r.kb for r in pages)
    export_s = max(r.median_ms for r in exports) / 1000
    within = (
        not failed
        and not grown
        and worst_ms <= LIMIT_MS
        and worst_kb <= LIMIT_KB
        and export_s <= LIMIT_EXPORT_S
    )
    ratio = f" grown_pages={len(grown)}" if baseline else ""
    print(
        f"statements={args.statements} worst_page_ms={worst_ms:.1f} worst_page_kb={worst_kb:.1f} "
        f"export_s={export_s:.2f}{ratio} within_limits={str(within).lower()}"
    )


if __name__ == "__main__":
    main()
