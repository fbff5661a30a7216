"""Benchmark: the production server under concurrent clients (not a test; loopback only).

    python bench/load.py [--statements 10000] [--database-url URL] [--workers 4] [--requests 10]

Serves the app as in production, with gunicorn and several worker processes:

    gunicorn --workers 4 --bind 127.0.0.1:8000 planning_sv.web.wsgi:app

over the benchmark database of bench/seed.py (the cached SQLite file for N statements, or
`--database-url`, an empty PostgreSQL database that is seeded). Each worker is warmed up
first (rule packs, boundaries). Then 1, 8 and 32 concurrent clients request the borough map,
the busiest ward's page and an officer's statement page (signed in through the real sign-in
form, CSRF token included), each client making `--requests` requests. Prints p50, p95 and
errors per case, and last:

    clients=32 worst_p95_ms=<x> errors=<n> within_limits=<true|false>

Target: p95 ≤ 300 ms at 32 clients with no errors. The load generator is Debian's `hey`
(`apt-get install -y hey`; only needed here, the tests never run benchmarks), or a Python
thread-per-client fallback when `hey` is not installed.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import seed  # noqa: E402

LIMIT_P95_MS = 300.0
HOST = "127.0.0.1"
SERVER_LOG = seed.cache_dir() / "load-server.log"
# Flask-Login's strong session protection ties a session to the client's address and
# User-Agent: every request of the run (sign-in, warm-up, hey) must send the same one.
# Debian's hey always sends its own (a -H User-Agent is ignored), so the others send it too.
FULL_AGENT = "hey/0.0.1"


@dataclass
class Outcome:
    name: str
    clients: int
    requests: int
    p50_ms: float
    p95_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_server(url: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        raise SystemExit("gunicorn is not installed: pip install -r requirements.txt")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-load-secret",
        # The load runs over plain http on loopback: the session cookie must come back.
        "PLANNING_SV_INSECURE_COOKIES": "1",
    }
    process = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            "planning_sv.web.wsgi:app",  # the documented production entry (docs/WEB.md)
        ],
        env=env,
        cwd=ROOT,
        # The access log (a line per request) goes to a file, not over the figures.
        stdout=SERVER_LOG.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the whole server stops with one signal
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {SERVER_LOG}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit("gunicorn did not start listening within 60 s")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def request(
    port: int, path: str, *, method: str = "GET", body: str | None = None, cookie: str = ""
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    headers = {"Cookie": cookie, "User-Agent": FULL_AGENT} if cookie else {"User-Agent": FULL_AGENT}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    # Several Set-Cookie headers may come back; keep name=value of each.
    cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    connection.close()
    return response.status, {"cookie": "; ".join(cookies)}, data


def sign_in(port: int, email: str) -> str:
    """The session cookie of `email`, signed in through the sign-in form with its CSRF token."""
    status, got, page = request(port, "/sign-in")
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        rb'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    if status != 200 or match is None:
        raise SystemExit(f"GET /sign-in answered {status} without a CSRF token")
    form = urllib.parse.urlencode(
        {"csrf_token": match.group(1).decode(), "email": email, "password": seed.BENCH_PASSWORD}
    )
    status, signed, _ = request(port, "/sign-in", method="POST", body=form, cookie=got["cookie"])
    if status != 302 or not signed["cookie"]:
        raise SystemExit(f"signing in as {email} answered {status}")
    return signed["cookie"]


def statement_id(url: str, council: str) -> int:
    """An approved statement of `council` (its officer may open it)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT id FROM statements WHERE council = :c AND status = 'approved' "
                    "ORDER BY id LIMIT 1"
                ),
                {"c": council},
            ).scalar()
    finally:
        engine.dispose()
    if found is None:
        raise SystemExit(f"no approved {council} statement in the bench database")
    return int(found)


def run_hey(port: int, path: str, clients: int, total: int, cookie: str) -> tuple[list[float], int]:
    # A redirect (to sign-in) is an error here, not the sign-in page's time.
    command = ["hey", "-n", str(total), "-c", str(clients), "-t", "60", "-o", "csv"]
    command.append("-disable-redirects")
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(
        [*command, f"http://{HOST}:{port}{path}"], check=True, capture_output=True, text=True
    ).stdout
    times, errors = [], 0
    for row in csv.DictReader(io.StringIO(out)):
        times.append(float(row["response-time"]) * 1000)
        if row["status-code"] != "200":
            errors += 1
    errors += total - len(times)  # requests that never got an answer
    return times, errors


def run_threads(
    port: int, path: str, clients: int, total: int, cookie: str
) -> tuple[list[float], int]:
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_client = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

    def client(count: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        for _ in range(count):
            start = time.perf_counter()
            try:
                headers = {"User-Agent": FULL_AGENT, **({"Cookie": cookie} if cookie else {})}
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=60)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                times.append(elapsed)
                errors += 0 if ok else 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in per_client]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--requests", type=int, default=10, help="requests per client per case")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels")
    parser.add_argument(
        "--cases", default="borough,ward,statement", help="which of the three pages to time"
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    url, info = seed.bench_database(args.statements, args.database_url)
    council = "salford"
    sid = statement_id(url, council)
    pages = [
        ("borough map", f"/councils/{council}/wards", False),
        ("ward page", f"/councils/{council}/wards/{info.busiest_ward[council]}", False),
        ("officer statement page", f"/officer/statements/{sid}", True),
    ]
    chosen = set(args.cases.split(","))
    pages = [
        p for p, key in zip(pages, ("borough", "ward", "statement"), strict=True) if key in chosen
    ]
    use_hey = shutil.which("hey") is not None
    print(
        f"load generator: {'hey' if use_hey else 'python threads (hey not installed)'}; "
        f"gunicorn with {args.workers} workers; {args.statements:,} statements"
    )
    port = free_port()
    server = start_server(url, args.workers, port)
    outcomes: list[Outcome] = []
    try:
        cookie = sign_in(port, info.officers[council])
        for name, path, signed in pages:  # each case must answer 200 before it is timed
            status, _got, _body = request(port, path, cookie=cookie if signed else "")
            if status != 200:
                raise SystemExit(f"{name} ({path}) answered {status}; see {SERVER_LOG}")
        # Warm every worker: each loads rule packs and boundaries on its first requests.
        for _name, path, signed in pages:
            run_threads(port, path, args.workers * 2, args.workers * 4, cookie if signed else "")
        print(
            f"{'case':<26} {'clients':>7} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}"
        )
        for clients in levels:
            for name, path, signed in pages:
                total = clients * args.requests
                runner = run_hey if use_hey else run_threads
                times, errors = runner(port, path, clients, total, cookie if signed else "")
                outcome = Outcome(
                    name,
                    clients,
                    total,
                    statistics.median(times) if times else float("nan"),
                    percentile(times, 0.95),
                    errors,
                )
                outcomes.append(outcome)
                print(
                    f"{name:<26} {clients:>7} {total:>8} {outcome.p50_ms:8.1f} "
                    f"{outcome.p95_ms:8.1f} {errors:>6}",
                    flush=True,
                )
    finally:
        stop_server(server)

    top = max(levels)
    at_top = [o for o in outcomes if o.clients == top]
    worst = max(o.p95_ms for o in at_top)
    errors = sum(o.errors for o in outcomes)
    within = worst <= LIMIT_P95_MS and errors == 0
    print(
        f"clients={top} worst_p95_ms={worst:.1f} errors={errors} "
        f"within_limits={str(within).lower()}"
    )


if __name__ == "__main__":
    main()
