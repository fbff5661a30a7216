"""A database of N synthetic statements for the page and load benchmarks (not a test).

    from seed import bench_database
    url, info = bench_database(10_000)            # SQLite, cached under instance/bench/
    url, info = bench_database(10_000, "postgresql+psycopg://…/empty_db")

Fast, because assessing 100,000 statements through the pipeline would take hours: a few
dozen template statements per council (bench/synth.py) are assessed through the real
`Assessor` once, each at a few quantity scales, and their statement and assessment JSON is
serialised once. Every seeded statement reuses one of them with its own id, reference,
owner, status and dates, written with SQLAlchemy Core bulk inserts. The workflow history of
each status (create, submit, start_review, …, approve) is taken from `core.workflow`, so
every audit trail is a legal one, and approvals are spread over the past six years.

Draft self-check assessments are stored for drafts only (not beside every submitted
version, as the app also does), which keeps a 100,000-statement SQLite file near 4 GB
rather than 8 GB; no page or export reads a submitted statement's draft assessment.

A SQLite database is cached as instance/bench/statements-<N>-<key>.db, where the key
hashes what the seeded rows are (SEED_FORMAT, the seeding functions and synth.py), so a
change to them reseeds. A cached database is upgraded to the migrations' head when it is
used, as a deployment would be (seeding 100,000 statements again for each new migration
elsewhere in the app would take most of an hour). `after_seed(url)` is the hook for derived
tables (the queue's columns, `planning-sv figures rebuild`); it runs again on a cached
database when the code that derives them has changed (`derived_key`, kept in the .json).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import synth  # noqa: E402

BENCH_PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway benchmark database
DOMAIN = "bench.example"
SEED_FORMAT = 1  # bump when the seeded rows change shape
TEMPLATES_PER_COUNCIL = 24
SCALES = (0.5, 1.0, 2.0)
# Share of statements in each status: about 30% approved, the rest across the workflow.
STATUS_MIX = (
    ("approved", 0.30),
    ("draft", 0.15),
    ("submitted", 0.12),
    ("under_review", 0.10),
    ("changes_requested", 0.07),
    ("resubmitted", 0.04),
    ("recommended", 0.05),
    ("signed_off", 0.04),
    ("refused", 0.05),
    ("withdrawn", 0.08),
)
_REVIEWED = ("submit", "start_review")
_SIGNED = (*_REVIEWED, "recommend", "sign_off")
ACTIONS = {
    "draft": (),
    "submitted": ("submit",),
    "under_review": _REVIEWED,
    "changes_requested": (*_REVIEWED, "request_changes"),
    "resubmitted": (*_REVIEWED, "request_changes", "resubmit"),
    "recommended": (*_REVIEWED, "recommend"),
    "signed_off": _SIGNED,
    "approved": (*_SIGNED, "approve"),
    "refused": (*_SIGNED, "refuse"),
    "withdrawn": ("submit", "withdraw"),
}
REASONS = {
    "request_changes": "Please add construction work placements to meet the S106 requirement.",
    "refuse": "Social value offer falls well short of the Local Plan requirements.",
    "withdraw": "Scheme redesigned; a new application will follow.",
}
_REF = "@@BENCH-REF@@"


@dataclass
class SeedInfo:
    """What the benchmarks need to know about a seeded database."""

    statements: int
    officers: dict[str, str]  # council -> officer email
    applicant: str  # an applicant email with statements
    busiest_ward: dict[str, str]  # council -> the ward holding most approved sites
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    derived: str = ""  # derived_key() of the code that filled the derived tables


class Raw(str):
    """JSON already serialised: written to a JSON column as it is."""


def _serialise(value: Any) -> str:
    return str(value) if isinstance(value, Raw) else json.dumps(value, allow_nan=False)


def cache_key() -> str:
    """What the seeded rows are: the seed format, the seeding code and synth.py, hashed.

    Not the migrations (a cached database is upgraded on use) nor the code of the derived
    tables (`derived_key`)."""
    import inspect

    digest = hashlib.sha256(f"format {SEED_FORMAT}".encode())
    constants = (BENCH_PASSWORD, DOMAIN, TEMPLATES_PER_COUNCIL, SCALES, STATUS_MIX, ACTIONS)
    digest.update(repr((constants, REASONS)).encode())
    for function in (templates, seed_database, _engine, _advance_sequences):
        digest.update(inspect.getsource(function).encode())
    digest.update((ROOT / "bench" / "synth.py").read_bytes())
    return digest.hexdigest()[:12]


DERIVED_CODE = {
    # part -> the code that fills its tables (after_seed rebuilds a part when it changes)
    "queue": ("planning_sv/store/queue.py", "planning_sv/store/cases.py"),
    "figures": (
        "planning_sv/cli/figures.py",
        "planning_sv/store/figures.py",
        "planning_sv/core/public_figures.py",
    ),
}


def derived_key() -> str:
    """The code `after_seed` runs to fill the derived tables, hashed per part:
    "queue=<hash>,figures=<hash>"."""
    parts = []
    for part, names in DERIVED_CODE.items():
        digest = hashlib.sha256()
        for name in names:
            path = ROOT / name
            digest.update(path.read_bytes() if path.exists() else b"absent")
        parts.append(f"{part}={digest.hexdigest()[:12]}")
    return ",".join(parts)


def _stale_parts(kept: str) -> tuple[str, ...]:
    """The derived parts whose code changed since `kept` (an older derived_key())."""
    old = dict(item.split("=", 1) for item in kept.split(",") if "=" in item)
    new = dict(item.split("=", 1) for item in derived_key().split(","))
    return tuple(part for part in new if old.get(part) != new[part])


def cache_dir() -> Path:
    from planning_sv import config

    path = config.instance_dir() / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bench_database(
    statements: int, database_url: str | None = None, *, seed: int = 20250601
) -> tuple[str, SeedInfo]:
    """A database holding `statements` synthetic statements: (url, what is in it).

    Without `database_url`: a cached SQLite file, seeded on first use. With one: that
    database, which must be empty (it is migrated and seeded).
    """
    if database_url:
        # A database this script seeded before (same N, same seeding code) is used again,
        # upgraded like a cached file; any other must be empty.
        record = (
            cache_dir() / f"seeded-{hashlib.sha256(database_url.encode()).hexdigest()[:12]}.json"
        )
        if record.exists():
            kept = json.loads(record.read_text("utf-8"))
            if kept.get("key") == cache_key() and kept["info"]["statements"] == statements:
                print(f"using the database seeded before ({record.name})", file=sys.stderr)
                return database_url, _reuse(database_url, SeedInfo(**kept["info"]), record)
        _require_empty(database_url)
        info = seed_database(database_url, statements, seed=seed)
        after_seed(database_url)
        info.derived = derived_key()
        record.write_text(json.dumps({"key": cache_key(), "info": asdict(info)}), "utf-8")
        return database_url, info
    base = cache_dir() / f"statements-{statements}-{cache_key()}"
    db_path, info_path = base.with_suffix(".db"), base.with_suffix(".json")
    if db_path.exists() and info_path.exists():
        print(f"using cached {db_path.relative_to(ROOT)}", file=sys.stderr)
        url = f"sqlite:///{db_path}"
        return url, _reuse(url, SeedInfo(**json.loads(info_path.read_text("utf-8"))), info_path)
    partial = db_path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    info = seed_database(f"sqlite:///{partial}", statements, seed=seed)
    after_seed(f"sqlite:///{partial}")
    info.derived = derived_key()
    os.replace(partial, db_path)  # only a complete database is ever cached
    info_path.write_text(json.dumps(asdict(info), indent=1), encoding="utf-8")
    return f"sqlite:///{db_path}", info


def _reuse(url: str, info: SeedInfo, record: Path) -> SeedInfo:
    """A seeded database used again: migrated to head, derived tables rebuilt when the code
    deriving them changed (the new key is written back to `record`)."""
    from planning_sv.store.migrate import upgrade

    upgrade(url)  # new migrations elsewhere in the app: applied, as in a deployment
    stale = _stale_parts(info.derived)
    if stale:
        print(f"code deriving {', '.join(stale)} changed: rebuilding them", file=sys.stderr)
        after_seed(url, stale)
        info.derived = derived_key()
        kept = json.loads(record.read_text("utf-8"))
        if "info" in kept:
            kept["info"] = asdict(info)
        else:
            kept = asdict(info)
        record.write_text(json.dumps(kept, indent=1), encoding="utf-8")
    return info


def _require_empty(url: str) -> None:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if "statements" in inspect(connection).get_table_names():
                count = connection.execute(text("SELECT count(*) FROM statements")).scalar()
                if count:
                    raise SystemExit(
                        f"{engine.url.render_as_string(hide_password=True)} already holds "
                        f"{count} statements; give an empty database"
                    )
    finally:
        engine.dispose()


def after_seed(url: str, parts: tuple[str, ...] = tuple(DERIVED_CODE)) -> None:
    """Rebuild derived tables: "queue", the queue's columns and cases (store/queue.py
    `rebuild_columns`; the bulk inserts bypass `submit`), and "figures", `planning-sv
    figures rebuild`."""
    from click.testing import CliRunner

    from planning_sv.cli import cli

    if "queue" in parts:
        from planning_sv.store import queue
        from planning_sv.store.assessments import Assessor
        from planning_sv.store.db import Database

        start = time.perf_counter()
        database = Database(url, assessor=Assessor())  # cases read the councils' plans
        with database.session() as session:
            queue.rebuild_columns(session)
        database.dispose()
        print(f"queue columns rebuild: {time.perf_counter() - start:.1f} s", file=sys.stderr)

    if "figures" in parts:
        start = time.perf_counter()
        runner = CliRunner()
        result = runner.invoke(cli, ["figures", "rebuild"], env={"DATABASE_URL": url})
        if result.exit_code != 0:
            raise SystemExit(f"planning-sv figures rebuild failed:\n{result.output}")
        print(f"figures rebuild: {time.perf_counter() - start:.1f} s", file=sys.stderr)


# --- templates ------------------------------------------------------------------------------


@dataclass
class Template:
    council: str
    statement: str  # statement@1 JSON with _REF for the reference
    assessment: str  # assessment@1 JSON with _REF for the reference
    pack_version: str
    value_set: str | None
    site_wards: list[str]


def templates(seed: int) -> list[Template]:
    """TEMPLATES_PER_COUNCIL statements per council, each assessed at every scale."""
    from planning_sv.core.assessment import value_set_label
    from planning_sv.store.assessments import Assessor

    assessor = Assessor()
    rng = random.Random(seed)
    pairs = synth.measure_choices()
    out = []
    for council in synth.COUNCILS:
        geo = synth.council_geo(council, seed=seed)
        for _ in range(TEMPLATES_PER_COUNCIL):
            size = rng.choice((2, 3, 4, 5, 6, 8, 10, 12, 15, 20))
            base = synth.statement(geo, size, rng, _REF, pairs)
            for scale in SCALES:
                data = json.loads(json.dumps(base))
                for item in data["commitments"]:
                    item["quantity"] = round(item["quantity"] * scale, 1)
                    if item["unit"] == "percent":  # a share of the workforce stays a share
                        item["quantity"] = min(item["quantity"], 100.0)
                record = assessor.assess(data)
                canonical = assessor.parse(data).to_json_dict()
                out.append(
                    Template(
                        council=council,
                        statement=json.dumps(canonical, allow_nan=False),
                        assessment=json.dumps(record, allow_nan=False),
                        pack_version=record["pack_version"],
                        value_set=value_set_label(record),
                        site_wards=[w["code"] for w in record["site"]["wards"]],
                    )
                )
    return out


# --- seeding --------------------------------------------------------------------------------


def _engine(url: str) -> Any:
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        engine = create_engine(url, json_serializer=_serialise)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # A benchmark file rebuilt on failure: no need to wait for the disk per commit.
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

        return engine
    return create_engine(url, json_serializer=_serialise)


def seed_database(url: str, statements: int, *, seed: int = 20250601) -> SeedInfo:
    """Migrate `url` and write `statements` synthetic statements with their history."""
    from sqlalchemy import insert
    from werkzeug.security import generate_password_hash

    from planning_sv.core.workflow import Role, transition
    from planning_sv.store.migrate import upgrade
    from planning_sv.store.models import (
        Assessment,
        AuditEvent,
        Statement,
        StatementVersion,
        User,
    )

    started = time.perf_counter()
    upgrade(url)
    made = templates(seed)
    by_council: dict[str, list[Template]] = {}
    for template in made:
        by_council.setdefault(template.council, []).append(template)
    print(
        f"assessed {len(made)} templates in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    password_hash = generate_password_hash(BENCH_PASSWORD)  # one hash for every account
    applicants = max(2, statements // 10)
    users: list[dict[str, Any]] = [
        {
            "id": i + 1,
            "email": f"applicant{i + 1}@{DOMAIN}",
            "role": Role.APPLICANT.value,
            "council": None,
        }
        for i in range(applicants)
    ]
    staff: dict[str, dict[str, int]] = {}
    for council in synth.COUNCILS:
        for role, prefix in ((Role.OFFICER, "officer"), (Role.SENIOR_OFFICER, "senior")):
            users.append(
                {
                    "id": len(users) + 1,
                    "email": f"{prefix}.{council}@{DOMAIN}",
                    "role": role.value,
                    "council": council,
                }
            )
            staff.setdefault(council, {})[role.value] = len(users)
    users.append(
        {
            "id": len(users) + 1,
            "email": f"admin@{DOMAIN}",
            "role": Role.ADMIN.value,
            "council": None,
        }
    )
    for user in users:
        user.update(password_hash=password_hash, created_at=now, failed_logins=0)

    names = [s for s, _ in STATUS_MIX]
    weights = [w for _, w in STATUS_MIX]
    status_counts: Counter[str] = Counter()
    approved_sites: dict[str, Counter[str]] = {c: Counter() for c in synth.COUNCILS}
    engine = _engine(url)
    batch: dict[str, list[dict[str, Any]]] = {"s": [], "v": [], "a": [], "e": []}
    version_id = assessment_id = event_id = 0

    def flush(connection: Any) -> None:
        for key, table in (
            ("s", Statement.__table__),
            ("v", StatementVersion.__table__),
            ("a", Assessment.__table__),
            ("e", AuditEvent.__table__),
        ):
            if batch[key]:
                connection.execute(insert(table), batch[key])
                batch[key].clear()

    with engine.begin() as connection:
        connection.execute(insert(User.__table__), users)
        for sid in range(1, statements + 1):
            council = synth.COUNCILS[sid % len(synth.COUNCILS)]
            template = rng.choice(by_council[council])
            status = rng.choices(names, weights)[0]
            status_counts[status] += 1
            owner = rng.randint(1, applicants)
            year = 2019 + (sid * 7919) % 7  # spread over 2019-2025 whatever the rng draws
            reference = f"BENCH/{council.upper()}/{year}/{sid:06d}/FUL"
            ref_json = json.dumps(reference)
            statement_json = Raw(template.statement.replace(f'"{_REF}"', ref_json))
            assessment_json = Raw(template.assessment.replace(f'"{_REF}"', ref_json))
            at = dt.datetime(year, 1, 1, 9, tzinfo=dt.UTC) + dt.timedelta(
                days=rng.randint(0, 300), minutes=rng.randint(0, 600)
            )
            at = min(at, now - dt.timedelta(days=60))
            event_id += 1
            events = [
                {
                    "id": event_id,
                    "statement_id": sid,
                    "actor_id": owner,
                    "at": at,
                    "action": "create",
                    "from_status": None,
                    "to_status": "draft",
                    "reason": None,
                    "details": {},
                }
            ]
            current = "draft"
            versions = 0
            for action in ACTIONS[status]:
                role = (
                    Role.APPLICANT.value
                    if action in ("submit", "resubmit", "withdraw")
                    else Role.SENIOR_OFFICER.value
                    if action == "sign_off"
                    else Role.OFFICER.value
                )
                step = transition(current, action, role, REASONS.get(action))
                at = at + dt.timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 300))
                details: dict[str, Any] = {}
                if action in ("submit", "resubmit"):
                    versions += 1
                    version_id += 1
                    assessment_id += 1
                    details = {"version": versions}
                    batch["v"].append(
                        {
                            "id": version_id,
                            "statement_id": sid,
                            "number": versions,
                            "data": statement_json,
                            "submitted_at": at,
                            "submitted_by_id": owner,
                        }
                    )
                    batch["a"].append(
                        {
                            "id": assessment_id,
                            "statement_id": sid,
                            "version_id": version_id,
                            "data": assessment_json,
                            "pack_version": template.pack_version,
                            "value_set": template.value_set,
                            "created_at": at,
                        }
                    )
                actor = owner if role == Role.APPLICANT.value else staff[council][role]
                event_id += 1
                events.append(
                    {
                        "id": event_id,
                        "statement_id": sid,
                        "actor_id": actor,
                        "at": at,
                        "action": step.action,
                        "from_status": step.source.value,
                        "to_status": step.target.value,
                        "reason": step.reason,
                        "details": details,
                    }
                )
                current = step.target.value
            if versions == 0:  # a draft keeps its self-check
                assessment_id += 1
                batch["a"].append(
                    {
                        "id": assessment_id,
                        "statement_id": sid,
                        "version_id": None,
                        "data": assessment_json,
                        "pack_version": template.pack_version,
                        "value_set": template.value_set,
                        "created_at": at,
                    }
                )
            if status == "approved":
                for code in template.site_wards:
                    approved_sites[council][code] += 1
            batch["s"].append(
                {
                    "id": sid,
                    "council": council,
                    "owner_id": owner,
                    "application_reference": reference,
                    "status": current,
                    "draft": statement_json,
                    "created_at": events[0]["at"],
                    "updated_at": at,
                    "version_counter": 1,
                }
            )
            batch["e"].extend(events)
            if len(batch["s"]) >= 2000:
                flush(connection)
        flush(connection)
        _advance_sequences(connection)
    engine.dispose()
    info = SeedInfo(
        statements=statements,
        officers={c: f"officer.{c}@{DOMAIN}" for c in synth.COUNCILS},
        applicant=f"applicant1@{DOMAIN}",
        busiest_ward={
            c: (counts.most_common(1)[0][0] if counts else by_council[c][0].site_wards[0])
            for c, counts in approved_sites.items()
        },
        statuses=dict(sorted(status_counts.items())),
        seconds=round(time.perf_counter() - started, 1),
    )
    print(f"seeded {statements:,} statements in {info.seconds:.1f} s", file=sys.stderr)
    return info


def _advance_sequences(connection: Any) -> None:
    """PostgreSQL: move each id sequence past the ids written explicitly."""
    from sqlalchemy import text

    if connection.dialect.name != "postgresql":
        return
    for table in ("users", "statements", "statement_versions", "assessments", "audit_events"):
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
