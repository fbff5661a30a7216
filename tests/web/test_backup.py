"""`planning-sv backup` of a running app, restored into an empty installation, on both lanes.

A real server (werkzeug, threaded, 127.0.0.1 on an ephemeral port) takes registrations
from a client thread while the backup runs. Every registration acknowledged (302) before
the backup started must be in the restored database; the copy must be consistent.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import tarfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from planning_sv.cli import cli
from planning_sv.store.models import User
from planning_sv.web.ops import _head_revisions
from tests.conftest import make_app

PASSWORD = "correct-horse-battery-backup"
WAIT_S = 120  # a bound so a broken server fails the test instead of hanging it


@contextmanager
def running_server(url: str) -> Iterator[str]:
    app = make_app(url)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        app.extensions["planning_sv.db"].dispose()


class Registrations(threading.Thread):
    """Registers accounts one after another through HTTP, recording each acknowledged one."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.acked: list[str] = []
        self.attempted: list[str] = []
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with requests.Session() as http:
                n = 0
                while not self.stop.is_set():
                    n += 1
                    email = f"writer{n}@backup.example"
                    self.attempted.append(email)
                    data = {"email": email, "password": PASSWORD, "confirm": PASSWORD}
                    response = http.post(
                        f"{self.base}/register", data=data, allow_redirects=False, timeout=60
                    )
                    assert response.status_code == 302, response.text[:300]
                    with self.progress:
                        self.acked.append(email)
                        self.progress.notify_all()
        except BaseException as exc:  # reported by the test
            self.error = exc
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int) -> None:
        with self.progress:
            reached = self.progress.wait_for(
                lambda: len(self.acked) >= count or self.error is not None, timeout=WAIT_S
            )
        assert self.error is None, self.error
        assert reached, f"only {len(self.acked)} registrations acknowledged"


@contextmanager
def another_database(url: str) -> Iterator[str]:
    """An empty target like `url`: a new SQLite file, or a new PostgreSQL database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = Path(str(parsed.database)).with_name("restored.db")
        yield f"sqlite:///{target}"
        return
    name = f"psv_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _emails(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(select(User.email)).scalars())
    finally:
        engine.dispose()


def _revision(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
    finally:
        engine.dispose()


def test_backup_while_running_then_restore(db_url: str, instance_dir: Path, tmp_path: Path) -> None:
    # Instance files a restore must bring back: the secret key and an uploaded value set.
    instance_dir.mkdir(parents=True, exist_ok=True)
    (instance_dir / "secret_key").write_text("k" * 64, encoding="utf-8")
    (instance_dir / "value_sets").mkdir()
    (instance_dir / "value_sets" / "islington.json").write_text('{"a": 1}', encoding="utf-8")
    (instance_dir / "cache").mkdir()
    (instance_dir / "cache" / "grid.bin").write_bytes(b"rebuildable")
    archive = tmp_path / "backups" / "planning-sv.tar.gz"
    runner = CliRunner()

    with running_server(db_url) as base:
        assert requests.get(f"{base}/readyz", timeout=60).status_code == 200
        writer = Registrations(base)
        writer.start()
        writer.wait_for(3)
        acked_before_backup = list(writer.acked)  # snapshot before the backup starts
        result = runner.invoke(cli, ["backup", "--out", str(archive), "--url", db_url])
        assert result.exit_code == 0, result.output
        writer.wait_for(len(writer.acked) + 2)  # it kept writing after the backup
        writer.stop.set()
        writer.join(WAIT_S)
        assert writer.error is None, writer.error
    assert len(acked_before_backup) >= 3

    # The archive: owner-only, a manifest naming every member with its checksum.
    assert archive.stat().st_mode & 0o777 == 0o600
    kind = make_url(db_url).get_backend_name()
    db_member = "database.sqlite3" if kind == "sqlite" else "database.pgdump"
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        names = sorted(m.name for m in tar.getmembers())
        digests = {
            m.name: hashlib.sha256(tar.extractfile(m).read()).hexdigest()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.name != "manifest.json"
        }
    assert names == sorted(
        [
            "manifest.json",
            db_member,
            "instance/secret_key",
            "instance/value_sets/islington.json",
        ]
    )  # not the cache, not the live SQLite file
    assert manifest["database"] == kind
    assert manifest["app_version"] == "0.1.0"
    assert manifest["alembic_revision"] == ",".join(_head_revisions())
    assert manifest["created_at"].endswith("+00:00")
    assert {name: m["sha256"] for name, m in manifest["members"].items()} == digests

    # Restore into an empty installation: a fresh database and instance folder.
    with another_database(db_url) as target:
        restored_instance = tmp_path / "restored-instance"
        args = ["restore", str(archive), "--url", target, "--instance", str(restored_instance)]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output

        restored = _emails(target)
        missing = [e for e in acked_before_backup if e not in restored]
        assert missing == []
        assert restored <= set(writer.attempted)  # nothing invented
        assert _revision(target) == ",".join(_head_revisions())
        if kind == "sqlite":
            with sqlite3.connect(make_url(target).database) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert (restored_instance / "secret_key").read_text(encoding="utf-8") == "k" * 64
        assert (restored_instance / "value_sets" / "islington.json").read_text(
            encoding="utf-8"
        ) == '{"a": 1}'
        assert not (restored_instance / "cache").exists()

        # The restored installation is ready to serve.
        with running_server(target) as base:
            ready = requests.get(f"{base}/readyz", timeout=60)
            assert ready.status_code == 200, ready.text

        # A second restore finds a database with tables: refused, unless --force.
        again = runner.invoke(cli, args)
        assert again.exit_code == 1
        assert "the database is not empty" in again.output
        forced = runner.invoke(cli, [*args, "--force"])
        assert forced.exit_code == 0, forced.output
        assert _emails(target) == restored


def test_restore_refuses_a_tampered_archive(
    sqlite_url: str, instance_dir: Path, tmp_path: Path
) -> None:
    make_app(sqlite_url).extensions["planning_sv.db"].dispose()  # a migrated database
    archive = tmp_path / "b.tar.gz"
    runner = CliRunner()
    result = runner.invoke(cli, ["backup", "--out", str(archive), "--url", sqlite_url])
    assert result.exit_code == 0, result.output

    # The same archive with the database member's bytes changed, manifest untouched.
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "database.sqlite3":
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(member, io.BytesIO(data))
    target = tmp_path / "fresh.db"
    result = runner.invoke(
        cli,
        [
            "restore",
            str(tampered),
            "--url",
            f"sqlite:///{target}",
            "--instance",
            str(tmp_path / "i"),
        ],
    )
    assert result.exit_code == 1
    assert "checksum mismatch for database.sqlite3" in result.output
    assert not target.exists()  # nothing was written


@pytest.mark.parametrize("garbage", [b"", b"not a tar at all"])
def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, garbage: bytes) -> None:
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(garbage)
    result = CliRunner().invoke(
        cli,
        [
            "restore",
            str(bad),
            "--url",
            f"sqlite:///{tmp_path / 'x.db'}",
            "--instance",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "is not a planning-sv backup" in result.output
