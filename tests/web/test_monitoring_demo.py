"""The demo seed's monitoring history shows every obligation status, in both councils'
schemes; `planning-sv monitor run` is idempotent (a second run changes and sends nothing)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from planning_sv.cli import cli
from planning_sv.core.monitoring import ObligationStatus
from planning_sv.store import monitoring as repo
from planning_sv.store.db import Database
from planning_sv.store.documents import Document, documents_root, read_document
from planning_sv.store.migrate import upgrade


def _run(*args: str, url: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"DATABASE_URL": url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_has_every_status_and_monitor_run_is_idempotent(
    sqlite_url: str, instance_dir: Path
) -> None:
    upgrade(sqlite_url)
    _run("demo", "seed", url=sqlite_url)
    database = Database(sqlite_url)
    with database.session() as session:
        obligations = list(session.scalars(select(repo.Obligation)))
        statuses = {o.status for o in obligations}
        assert statuses == {s.value for s in ObligationStatus}
        assert {o.council for o in obligations} == {"islington", "salford"}
        for council in ("islington", "salford"):
            agreements = repo.council_agreements(session, council)
            # scheme 1: the agreement; scheme 2: the agreement and a deed of variation
            assert [a.kind for a in agreements] == [
                "section-106",
                "section-106",
                "deed-of-variation",
            ]
            verifications = {
                r.verification
                for r in session.scalars(
                    select(repo.DeliveryReport).where(repo.DeliveryReport.council == council)
                )
            }
            assert {"accepted", "partly_accepted", "rejected"} <= verifications
            assert repo.verified_delivery_by_ward(session, council)
        evidence = session.scalars(select(Document)).first()
        assert evidence is not None
        assert read_document(documents_root(instance_dir), evidence).startswith(b"%PDF-")
        counts = session.scalar(select(func.count()).select_from(repo.Obligation))
    # A second seed adds nothing.
    _run("demo", "seed", url=sqlite_url)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(repo.Obligation)) == counts
    first = _run("monitor", "run", url=sqlite_url)
    assert "(mail not configured: logged only)" in first
    second = _run("monitor", "run", url=sqlite_url)
    assert "0 status change(s)" in second
    assert "0 email(s) sent" in second
    database.dispose()


def test_monitor_run_refuses_bad_options(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    runner = CliRunner()
    env = {"DATABASE_URL": sqlite_url}
    bad_day = runner.invoke(cli, ["monitor", "run", "--today", "2026-13-01"], env=env)
    assert bad_day.exit_code == 2
    assert "error: --today: '2026-13-01' is not a date (YYYY-MM-DD)" in bad_day.output
    nowhere = runner.invoke(cli, ["monitor", "run", "--council", "atlantis"], env=env)
    assert nowhere.exit_code == 2
    assert "error: --council: unknown council 'atlantis'" in nowhere.output
    # An empty installation: nothing to change, nothing to send.
    empty = runner.invoke(cli, ["monitor", "run", "--today", "2026-04-01"], env=env)
    assert empty.exit_code == 0
    assert "monitor run 2026-04-01: 0 status change(s), 0 alert(s) due, 0 email(s) sent" in (
        empty.output
    )
