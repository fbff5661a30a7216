"""The production lane: `planning-sv serve --workers 2` (gunicorn, two worker processes)
over PostgreSQL on 127.0.0.1 and an ephemeral port, serving a public page and a signed-in
page through real sockets, then stopped. PostgreSQL lane only (TEST_POSTGRES_URL)."""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from planning_sv import config
from planning_sv.store import statements as repo
from planning_sv.store.assessments import Assessor
from planning_sv.store.db import Database
from planning_sv.store.migrate import upgrade
from planning_sv.store.users import create_user

PASSWORD = "correct-horse-battery-gunicorn"
EXAMPLE = config.PROJECT_ROOT / "tests" / "fixtures" / "islington_mixed_use.json"
WAIT_S = 120  # a generous bound on start-up on a busy machine, not a speed check


class Server:
    """A started `planning-sv serve --workers N`, its log read as it is written."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, pattern: str, count: int = 1) -> list[re.Match[str]]:
        """The first `count` log lines matching `pattern` (waits for them)."""

        def found() -> list[re.Match[str]]:
            return [m for line in self.lines if (m := re.search(pattern, line))]

        with self.changed:
            self.changed.wait_for(
                lambda: len(found()) >= count or self.process.poll() is not None, WAIT_S
            )
            matches = found()
        assert len(matches) >= count, f"no {pattern!r} in the log:\n{''.join(self.lines)}"
        return matches[:count]


@contextmanager
def serving(url: str, instance: Path, workers: int) -> Iterator[Server]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "production-lane-test-secret",
        "PLANNING_SV_INSTANCE_DIR": str(instance),
        "PLANNING_SV_INSECURE_COOKIES": "1",  # plain http on loopback
        "PLANNING_SV_WARM": "0",  # these pages need no boundaries
    }
    command = [sys.executable, "-m", "planning_sv", "serve", "--host", "127.0.0.1"]
    command += ["--port", "0", "--workers", str(workers), "--threads", "2"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        yield Server(process)
    finally:
        # gunicorn replaced the command's process (exec): TERM is its graceful stop.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_gunicorn_workers_over_postgresql(postgres_url: str, tmp_path: Path) -> None:
    upgrade(postgres_url)
    database = Database(postgres_url, assessor=Assessor())
    with database.session() as session:
        owner = create_user(session, "owner@lane.example", PASSWORD, "applicant", None)
        create_user(session, "officer@lane.example", PASSWORD, "officer", "islington")
        data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
        statement = repo.create_statement(session, owner, "islington", copy.deepcopy(data))
        repo.submit(session, statement, owner)
        statement_id = statement.id
    database.dispose()

    with serving(postgres_url, tmp_path / "instance", workers=2) as server:
        port = server.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)")[0].group(1)
        booted = server.wait_for(r"Booting worker with pid: (\d+)", count=2)
        assert len({m.group(1) for m in booted}) == 2  # two worker processes
        base = f"http://127.0.0.1:{port}"

        home = requests.get(f"{base}/", timeout=WAIT_S)
        assert home.status_code == 200
        assert "Social value in planning" in home.text

        browser = requests.Session()
        form = browser.get(f"{base}/sign-in", timeout=WAIT_S)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)
        assert form.status_code == 200 and token is not None
        signed = browser.post(
            f"{base}/sign-in",
            data={
                "csrf_token": token.group(1),
                "email": "officer@lane.example",
                "password": PASSWORD,
            },
            allow_redirects=False,
            timeout=WAIT_S,
        )
        assert signed.status_code == 302
        assert signed.headers["Location"].endswith("/officer/")
        # Several requests, so both workers are likely to serve the signed-in session (the
        # session is a signed cookie checked against the database: any worker accepts it).
        for _ in range(6):
            queue = browser.get(f"{base}/officer/", timeout=WAIT_S)
            assert queue.status_code == 200
            assert f'data-statement-id="{statement_id}"' in queue.text
        anonymous = requests.get(f"{base}/officer/", allow_redirects=False, timeout=WAIT_S)
        assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    assert server.process.returncode == 0
    assert any("Shutting down: Master" in line for line in server.lines)
