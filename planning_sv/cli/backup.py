"""`planning-sv backup` and `planning-sv restore`: one archive that brings an installation back.

The archive (tar.gz, readable only by its owner: it holds the secret key) contains

- `database.sqlite3` (SQLite's online backup API: a consistent copy while the app writes)
  or `database.pgdump` (`pg_dump --format=custom`, one snapshot transaction);
- `instance/...`: the instance folder's settings and files (secret key, imported boundary
  vintages, value-set files), not the database file itself nor the rebuildable cache;
- `manifest.json`: created_at, app version, Alembic revision, database kind, and the
  sha256 and size of every other member. Restore checks every one before touching anything.

Restore goes into an empty installation (a database with no tables) unless `--force`; the
database kind must match the backup's (SQLite to SQLite, PostgreSQL to PostgreSQL).
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import click

from planning_sv import __version__

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
INSTANCE_PREFIX = "instance/"
FORMAT_VERSION = 1


class BackupError(click.ClickException):
    """A backup or restore that cannot go ahead; the message says why."""


# --- the database -------------------------------------------------------------------------


def _database_url(url: str | None) -> str:
    from planning_sv.store.db import default_database_url

    return url or default_database_url()


def _kind(url: str) -> str:
    from sqlalchemy.engine import make_url

    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"unsupported database {backend!r}: only SQLite and PostgreSQL")
    return backend


def _sqlite_path(url: str) -> Path:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database must be a file")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump/pg_restore and an environment carrying the password, so the
    password never appears in the process list."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    """`pg_dump`/`pg_restore` on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(f"{name} not found on PATH or under /usr/lib/postgresql/*/bin")
    return candidates[-1]


def _run(command: list[str], env: dict[str, str]) -> None:
    # The program is pg_dump/pg_restore found above and the arguments a list (no shell).
    result = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


def _revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    return ",".join(heads) or None


def _table_names(url: str) -> list[str]:
    from sqlalchemy import create_engine, inspect

    if _kind(url) == "sqlite" and not _sqlite_path(url).exists():
        return []
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy with SQLite's online backup API: one consistent snapshot even while the app
    writes (all pages in one step, under a read transaction), then check it."""
    if not source.exists():
        raise BackupError(f"no SQLite database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        _integrity_check(dst)
    finally:
        dst.close()
        src.close()


def _integrity_check(connection: sqlite3.Connection) -> None:
    rows = connection.execute("PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        raise BackupError(f"SQLite integrity check failed: {rows[:5]}")


# --- the instance folder ------------------------------------------------------------------


def _instance_files(instance: Path, skip: set[Path]) -> list[Path]:
    """Files to keep from the instance folder: all but the database, the cache (rebuilt on
    demand) and half-written temporary files."""
    from planning_sv import config

    cache = config.cache_dir().resolve()
    out = []
    for path in sorted(instance.rglob("*")):
        resolved = path.resolve()
        if not path.is_file() or path.is_symlink() or resolved in skip:
            continue
        if resolved == cache or cache in resolved.parents:
            continue
        if path.name.startswith(".secret-"):
            continue
        out.append(path)
    return out


def _sqlite_skip(url: str) -> set[Path]:
    if _kind(url) != "sqlite":
        return set()
    db = _sqlite_path(url).resolve()
    return {db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- backup -------------------------------------------------------------------------------


def backup(out: Path, url: str | None = None, instance: Path | None = None) -> dict[str, Any]:
    """Write the archive to `out`; returns its manifest."""
    from planning_sv import config

    url = _database_url(url)
    kind = _kind(url)
    instance = instance or config.instance_dir()
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="planning-sv-backup-") as work:
        work_dir = Path(work)
        revision = _revision(url)
        if kind == "sqlite":
            db_member, db_file = SQLITE_MEMBER, work_dir / SQLITE_MEMBER
            _sqlite_copy(_sqlite_path(url), db_file)
        else:
            db_member, db_file = PG_MEMBER, work_dir / PG_MEMBER
            target, env = _libpq(url)
            # One snapshot transaction: consistent while the app keeps writing.
            _run(
                [
                    *(_pg_tool("pg_dump"), "--format=custom", "--no-owner"),
                    *("--file", str(db_file), "--dbname", target),
                ],
                env,
            )
        members: list[tuple[str, Path]] = [(db_member, db_file)]
        skip = _sqlite_skip(url) | {out}
        for path in _instance_files(instance, skip):
            members.append((INSTANCE_PREFIX + path.relative_to(instance).as_posix(), path))
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "app_version": __version__,
            "alembic_revision": revision,
            "database": kind,
            "members": {
                name: {"sha256": _sha256(path), "size": path.stat().st_size}
                for name, path in members
            },
        }
        partial = out.with_name(f".{out.name}.partial")
        # Owner-only from the start: the archive holds the secret key and personal data.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                data = json.dumps(manifest, indent=2).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                tar.addfile(info, io.BytesIO(data))
                for name, path in members:
                    info = tarfile.TarInfo(name)
                    info.size, info.mode = path.stat().st_size, 0o600
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


# --- restore ------------------------------------------------------------------------------


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def read_archive(archive: Path, into: Path) -> dict[str, Any]:
    """Unpack the archive into `into` after checking every member against the manifest
    (names and sha256); nothing else is written. Returns the manifest."""
    try:
        tar = tarfile.open(archive, mode="r:gz")  # noqa: SIM115  (closed by the `with` below)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a planning-sv backup: {exc}") from exc
    try:
        with tar:
            try:
                manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
                expected = manifest["members"]
            except (KeyError, TypeError, ValueError) as exc:
                raise BackupError(f"{archive}: manifest.json missing or unreadable") from exc
            seen = set()
            for info in tar.getmembers():
                if info.name == MANIFEST:
                    continue
                if info.name not in expected or not info.isfile() or not _safe_member(info.name):
                    raise BackupError(f"{archive}: unexpected member {info.name!r}")
                target = into / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                source = tar.extractfile(info)
                assert source is not None  # a regular file, checked above
                with source, target.open("wb") as handle:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        handle.write(chunk)
                if digest.hexdigest() != expected[info.name]["sha256"]:
                    raise BackupError(f"{archive}: checksum mismatch for {info.name}")
                seen.add(info.name)
            missing = set(expected) - seen
            if missing:
                raise BackupError(f"{archive}: members missing: {sorted(missing)}")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        # A truncated or corrupted archive fails part-way through reading.
        raise BackupError(f"{archive} is damaged: {exc}") from exc
    return manifest


def restore(
    archive: Path, url: str | None = None, instance: Path | None = None, *, force: bool = False
) -> dict[str, Any]:
    """Bring a backup back into the installation at `url` and `instance`."""
    from planning_sv import config

    url = _database_url(url)
    kind = _kind(url)
    instance = instance or config.instance_dir()
    tables = _table_names(url)
    if tables and not force:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables); restore goes into an empty "
            "installation. Use --force to replace its contents."
        )
    with tempfile.TemporaryDirectory(prefix="planning-sv-restore-") as work:
        work_dir = Path(work)
        manifest = read_archive(archive, work_dir)
        if manifest.get("database") != kind:
            raise BackupError(
                f"the backup is of a {manifest.get('database')} database; DATABASE_URL "
                f"names a {kind} one"
            )
        if kind == "sqlite":
            _restore_sqlite(work_dir / SQLITE_MEMBER, _sqlite_path(url))
        else:
            target, env = _libpq(url)
            command = [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error"]
            if tables:  # --force: drop what is there first
                command += ["--clean", "--if-exists"]
            _run([*command, "--dbname", target, str(work_dir / PG_MEMBER)], env)
        saved = work_dir / INSTANCE_PREFIX.rstrip("/")
        if saved.is_dir():
            instance.mkdir(parents=True, exist_ok=True)
            for path in sorted(saved.rglob("*")):
                if path.is_file():
                    target_file = instance / path.relative_to(saved)
                    target_file.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target_file)
                    os.chmod(target_file, 0o600)
    return manifest


def _restore_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    try:
        _integrity_check(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # replaces every page of the target, even under --force
            _integrity_check(dst)
        finally:
            dst.close()
    finally:
        src.close()


# --- commands -----------------------------------------------------------------------------

_url = click.option(
    "--url", envvar="DATABASE_URL", help="database URL (default: SQLite in the instance folder)"
)
_instance = click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="PLANNING_SV_INSTANCE_DIR",
    help="instance folder (default: PLANNING_SV_INSTANCE_DIR or ./instance)",
)


@click.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@_url
@_instance
def backup_command(out: Path, url: str | None, instance: Path | None) -> None:
    """Back up the database, settings and uploaded files into one archive, while running."""
    manifest = backup(out, url, instance)
    click.echo(
        f"backup written to {out}: {manifest['database']} database at revision "
        f"{manifest['alembic_revision']}, {len(manifest['members'])} files"
    )


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database that is not empty")
@_url
@_instance
def restore_command(archive: Path, force: bool, url: str | None, instance: Path | None) -> None:
    """Restore a backup archive into an empty installation (checksums verified first)."""
    manifest = restore(archive, url, instance, force=force)
    click.echo(
        f"restored {manifest['database']} backup of {manifest['created_at']} "
        f"(revision {manifest['alembic_revision']}); run `planning-sv db upgrade` if this "
        "version of planning-sv is newer than the backup's"
    )
