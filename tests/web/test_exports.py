"""Developer contributions exports, the IFS page and the importer: admin pages and CLI.

Figures are worked by hand from tests/web/monitoring_fixture.py.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from planning_sv.cli import cli
from planning_sv.core.errors import InputInvalid
from planning_sv.store.contributions import ImportedRecord
from planning_sv.store.models import AuditEvent, Statement, User
from tests.web.monitoring_fixture import BUNHILL, CALEDONIAN, monitored_scheme

ISL = "local-authority:ISL"


@pytest.fixture
def scheme(
    app: Flask, make_user: Callable[..., User], make_statement: Callable[..., Statement]
) -> dict[str, Any]:
    return monitored_scheme(app, make_user, make_statement)


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _download(client: FlaskClient, dataset: str, council: str = "islington") -> Any:
    return client.get(f"/admin/contributions/{council}/{dataset}.csv")


def test_exports_carry_the_monitored_records(
    app: Flask, scheme: dict[str, Any], sign_in: Callable[[FlaskClient, User], FlaskClient]
) -> None:
    client = sign_in(app.test_client(), scheme["officer"])
    response = _download(client, "developer-agreement")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == (
        "reference,name,developer-agreement-type,planning-application,document-url,notes,"
        "organisation,entry-date,start-date,end-date"
    )
    application = scheme["application_reference"]
    assert _csv(text) == [
        {
            "reference": "P2026/0001/S106",
            "name": f"Section 106 agreement for {application}",
            "developer-agreement-type": "section-106",
            "planning-application": application,
            "document-url": "https://example.org/deeds/p2026-0001.pdf",
            "notes": "",
            "organisation": ISL,
            "entry-date": "2026-04-03",
            "start-date": "2026-04-01",
            "end-date": "",
        }
    ]

    contributions = _csv(_download(client, "developer-agreement-contribution").text)
    assert [
        (
            c["reference"],
            c["developer-agreement"],
            c["contribution-purpose"],
            c["amount"],
            c["units"],
        )
        for c in contributions
    ] == [
        ("P2026/0001/S106-1", "P2026/0001/S106", "economic-development", "", "10"),
        ("P2026/0001/S106-2", "P2026/0001/S106", "monitoring-fees", "460.00", ""),
    ]
    assert {c["organisation"] for c in contributions} == {ISL}
    assert {c["start-date"] for c in contributions} == {"2026-04-01"}

    transactions = _csv(_download(client, "developer-agreement-transaction").text)
    t1, t2 = scheme["money"]
    a, _b, c, _d = scheme["reports"]
    # Rejected (B) and pending (D) reports are never exported; C counts 2.5 -> 2 whole units.
    assert [
        (
            t["reference"],
            t["developer-agreement-contribution"],
            t["contribution-funding-status"],
            t["amount"],
            t["units"],
            t["start-date"],
        )
        for t in transactions
    ] == [
        (f"P2026/0001/S106-2-t{t1}", "P2026/0001/S106-2", "received", "460.00", "", "2026-04-02"),
        (f"P2026/0001/S106-2-t{t2}", "P2026/0001/S106-2", "spent", "460.00", "", "2026-05-01"),
        (f"P2026/0001/S106-1-r{a}", "P2026/0001/S106-1", "received", "", "3", "2026-11-01"),
        (f"P2026/0001/S106-1-r{c}", "P2026/0001/S106-1", "received", "", "2", "2027-02-02"),
    ]
    # Every transaction names a contribution, every contribution an agreement.
    refs = {c["reference"] for c in contributions}
    assert all(t["developer-agreement-contribution"] in refs for t in transactions)
    assert all(c["developer-agreement"] == "P2026/0001/S106" for c in contributions)

    social = _csv(_download(client, "developer-agreement-contribution-social-value").text)
    assert [
        (
            s["developer-agreement-contribution"],
            s["measure"],
            s["unit"],
            s["ward"],
            s["ward-name"],
            s["ward-share"],
            s["quantity"],
            s["delivered-quantity"],
            s["status"],
            s["trigger"],
            s["due-date"],
            s["policy"],
            s["verification"],
        )
        for s in social
    ] == [
        (
            "P2026/0001/S106-1",
            "local_employment",
            "fte_years",
            BUNHILL,
            "Bunhill",
            "0.6",
            "6",
            "3",
            "part_delivered",
            "within 26 weeks of commencement",
            "2026-10-01",
            "Islington Local Plan policy B5",
            "2 verified report(s)",
        ),
        (
            "P2026/0001/S106-1",
            "local_employment",
            "fte_years",
            CALEDONIAN,
            "Caledonian",
            "0.4",
            "4",
            "2.5",
            "part_delivered",
            "within 26 weeks of commencement",
            "2026-10-01",
            "Islington Local Plan policy B5",
            "2 verified report(s)",
        ),
    ]
    assert all(s["value-set"] and s["price-year"] for s in social)  # the assessment's set


def test_ifs_page_and_csv_for_the_hand_worked_year(
    app: Flask, scheme: dict[str, Any], sign_in: Callable[[FlaskClient, User], FlaskClient]
) -> None:
    client = sign_in(app.test_client(), scheme["senior"])
    page = client.get("/admin/contributions/islington/ifs?year=2026")
    assert page.status_code == 200
    assert "1 April 2026 to 31 March 2027" in page.text
    rows = {
        (r["paragraph"], r["contribution-purpose"], r["ward"]): r
        for r in _csv(client.get("/admin/contributions/islington/ifs.csv?year=2026").text)
    }
    # (a) the fee is the only money secured by the agreement signed on 1 April 2026
    assert rows[("3(a)", "", "")]["amount"] == "460.00"
    assert rows[("3(b)", "", "")]["amount"] == "460.00"  # received 2 April 2026
    assert rows[("3(c)", "", "")]["amount"] == "0.00"
    assert rows[("3(f)", "", "")]["amount"] == "460.00"  # spent 1 May 2026
    assert rows[("3(h)(iii)", "monitoring-fees", "")]["amount"] == "460.00"
    assert rows[("3(i)", "", "")]["amount"] == "0.00"
    # (d) social value outputs secured that year, by measure and ward
    assert rows[("3(d)", "", BUNHILL)]["units"] == "6"
    assert rows[("3(d)", "", CALEDONIAN)]["units"] == "4"
    assert rows[("3(d)", "", BUNHILL)]["measure"] == "local_employment"
    # The year before has none of it.
    before = {
        (r["paragraph"], r["ward"]): r
        for r in _csv(client.get("/admin/contributions/islington/ifs.csv?year=2025").text)
    }
    assert before[("3(a)", "")]["amount"] == "0.00"
    assert ("3(d)", BUNHILL) not in before
    # A bad year names the parameter.
    bad = client.get("/admin/contributions/islington/ifs?year=abc")
    assert bad.status_code == 400
    assert "year" in bad.text


def test_exports_keep_the_council_boundary(
    app: Flask,
    scheme: dict[str, Any],
    make_user: Callable[..., User],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> None:
    other = sign_in(app.test_client(), make_user("officer", "salford"))
    assert _download(other, "developer-agreement").status_code == 404
    assert other.get("/admin/contributions/islington/ifs").status_code == 404
    salford = _csv(_download(other, "developer-agreement", "salford").text)
    assert salford == []  # Islington's agreement is not Salford's
    applicant = sign_in(app.test_client(), scheme["owner"])
    assert _download(applicant, "developer-agreement").status_code == 403
    anonymous = app.test_client()
    response = _download(anonymous, "developer-agreement")
    assert response.status_code == 302 and "/sign-in" in response.location
    index = sign_in(app.test_client(), scheme["officer"]).get("/admin/contributions/")
    assert index.status_code == 200
    assert "local-authority:ISL" in index.text
    assert "salford" not in index.text.lower().split("organisation code")[-1]


AGREEMENTS = (
    "Developer_Agreement,Developer Agreement Type,Planning Application(s),Start_Date\n"
    "SAL/2019/0001-da,S106,19/0001/FUL,31/03/2020\n"
)
CONTRIBUTIONS = (
    "Developer-Agreement-Contribution,Developer Agreement,Contribution Purpose,Amount (£)\n"
    'SAL/2019/0001-edu,SAL/2019/0001-da,Education,"£12,000"\n'
)
TRANSACTIONS = (
    "developer_agreement_transaction,developer_agreement_contribution,"
    "Contribution-funding Status,amount,Start-Date\n"
    "SAL/2019/0001-edu-recd,SAL/2019/0001-edu,RECEIVED:,12000,01/04/2026\n"
)


def _imports(app: Flask) -> tuple[int, int]:
    with app.extensions["planning_sv.db"].session() as session:
        return (
            session.scalar(select(func.count()).select_from(ImportedRecord)) or 0,
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "contributions_imported")
            )
            or 0,
        )


def test_admin_imports_earlier_records_all_or_nothing(
    app: Flask,
    make_user: Callable[..., User],
    sign_in: Callable[[FlaskClient, User], FlaskClient],
) -> None:
    admin = sign_in(app.test_client(), make_user("admin", "salford"))
    url = "/admin/contributions/salford/import"
    assert admin.get(url).status_code == 200
    empty = admin.post(url, data={}, content_type="multipart/form-data")
    assert empty.status_code == 400
    assert "Select at least one file" in empty.text
    bad = admin.post(
        url,
        data={
            "agreements": (io.BytesIO(AGREEMENTS.encode()), "a.csv"),
            "contributions": (
                io.BytesIO(CONTRIBUTIONS.replace("Education", "Schools").encode()),
                "c.csv",
            ),
            "transactions": (io.BytesIO(TRANSACTIONS.encode()), "t.csv"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert (
        "developer-agreement-contribution.csv row 2, column contribution-purpose: "
        "&#39;Schools&#39; is not one of" in bad.text
    )
    # One fault, one entry (the transaction's contribution is in the file, so it is not one).
    assert bad.text.count('<li><a href="#agreements">') == 1
    assert _imports(app) == (0, 0)

    good = admin.post(
        url,
        data={
            "agreements": (io.BytesIO(AGREEMENTS.encode()), "a.csv"),
            "contributions": (io.BytesIO(CONTRIBUTIONS.encode("cp1252")), "c.csv"),
            "transactions": (io.BytesIO(TRANSACTIONS.encode()), "t.csv"),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert _imports(app) == (3, 1)
    rows = _csv(_download(admin, "developer-agreement-transaction", "salford").text)
    assert rows == [
        {
            "reference": "SAL/2019/0001-edu-recd",
            "name": "",
            "developer-agreement-contribution": "SAL/2019/0001-edu",
            "contribution-funding-status": "received",
            "amount": "12000.00",
            "units": "",
            "notes": "",
            "organisation": "local-authority:SLF",
            "entry-date": "",
            "start-date": "2026-04-01",
            "end-date": "",
        }
    ]
    # Loading the same files again is refused, not duplicated.
    again = admin.post(
        url,
        data={"agreements": (io.BytesIO(AGREEMENTS.encode()), "a.csv")},
        content_type="multipart/form-data",
    )
    assert again.status_code == 400
    assert "&#39;SAL/2019/0001-da&#39; is already recorded for this council" in again.text
    assert _imports(app) == (3, 1)
    # Islington's admin cannot reach Salford's importer; officers cannot import at all.
    isl = sign_in(app.test_client(), make_user("admin", "islington"))
    assert isl.get(url).status_code == 404
    officer = sign_in(app.test_client(), make_user("officer", "salford"))
    assert officer.get(url).status_code == 403


def test_cli_exports_and_imports(app: Flask, scheme: dict[str, Any], tmp_path: Path) -> None:
    url = app.config["DATABASE_URL"]
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(
        cli, ["export", "contributions", "--council", "islington", "--out", str(out), "--url", url]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "developer-agreement-contribution-social-value.csv",
        "developer-agreement-contribution.csv",
        "developer-agreement-transaction.csv",
        "developer-agreement.csv",
    ]
    assert len(_csv((out / "developer-agreement-transaction.csv").read_text())) == 4

    result = runner.invoke(
        cli, ["export", "ifs", "--council", "islington", "--year", "2026", "--url", url]
    )
    assert result.exit_code == 0, result.output
    assert "3(h)(iii)" in result.output and "460.00" in result.output
    text = runner.invoke(
        cli,
        [
            "export",
            "ifs",
            "--council",
            "islington",
            "--year",
            "2026",
            "--format",
            "text",
            "--url",
            url,
        ],
    )
    assert "money spent on monitoring" in text.output and "£460" in text.output

    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / "developer-agreement_20260401.csv").write_text(AGREEMENTS, encoding="utf-8")
    (folder / "developer-agreement-contribution.csv").write_text(
        CONTRIBUTIONS.replace('"£12,000"', "-5"), encoding="utf-8"
    )
    result = runner.invoke(
        cli, ["import", "contributions", "--council", "salford", str(folder), "--url", url]
    )
    assert result.exit_code == 2
    assert (
        "error: developer-agreement-contribution.csv row 2, column amount: '-5' is negative"
        in result.output
    )
    assert _imports(app) == (0, 0)
    (folder / "developer-agreement-contribution.csv").write_text(CONTRIBUTIONS, encoding="utf-8")
    result = runner.invoke(
        cli, ["import", "contributions", "--council", "salford", str(folder), "--url", url]
    )
    assert result.exit_code == 0, result.output
    assert "imported 1 agreements, 1 contributions, 0 transactions" in result.output
    assert _imports(app) == (2, 1)
    unknown = runner.invoke(
        cli, ["export", "ifs", "--council", "nowhere", "--year", "2026", "--url", url]
    )
    assert unknown.exit_code == 2
    assert "--council: unknown council 'nowhere'" in unknown.output


def test_imported_records_round_trip_on_each_database(database: Any) -> None:
    """JSON rows and the unique reference per council on SQLite and PostgreSQL."""
    from planning_sv.core import contributions as dc
    from planning_sv.store.contributions import council_data, load_files

    files = {
        "developer-agreement.csv": AGREEMENTS.encode(),
        "developer-agreement-contribution.csv": CONTRIBUTIONS.encode(),
        "developer-agreement-transaction.csv": TRANSACTIONS.encode(),
    }
    with database.session() as session:
        counts = load_files(session, "salford", "local-authority:SLF", files, None)
    assert counts == {"agreements": 1, "contributions": 1, "transactions": 1}
    with database.session() as session:
        data = council_data(session, "salford", "local-authority:SLF")
        assert council_data(session, "islington", "local-authority:ISL").agreements == ()
    exported = dc.export_files(data)
    assert _csv(exported["developer-agreement-contribution.csv"]) == [
        {
            "reference": "SAL/2019/0001-edu",
            "name": "",
            "developer-agreement": "SAL/2019/0001-da",
            "contribution-purpose": "education",
            "amount": "12000.00",
            "units": "",
            "notes": "",
            "organisation": "local-authority:SLF",
            "entry-date": "",
            "start-date": "",
            "end-date": "",
        }
    ]
    assert data.agreements[0].start_date is not None
    assert data.agreements[0].start_date.isoformat() == "2020-03-31"
    with pytest.raises(InputInvalid), database.session() as session:
        load_files(session, "salford", "local-authority:SLF", files, None)


def test_a_deed_of_variation_is_a_new_version_and_nothing_is_deleted(
    app: Flask, scheme: dict[str, Any], sign_in: Callable[[FlaskClient, User], FlaskClient]
) -> None:
    """The deed of variation signed 1 September 2026 cuts the 10 FTE-years to 8."""
    import datetime as dt

    from planning_sv.store import monitoring as mon

    with app.extensions["planning_sv.db"].session() as session:
        old = session.get(mon.Obligation, scheme["jobs"])
        assert old is not None
        variation = mon.Agreement(
            statement_id=old.statement_id,
            council="islington",
            version=2,
            reference="P2026/0001/S106",
            kind="deed-of-variation",
            signed_on=dt.date(2026, 9, 1),
            recorded_at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC),
        )
        session.add(variation)
        session.flush()
        new = mon.Obligation(
            agreement_id=variation.id,
            statement_id=old.statement_id,
            council="islington",
            number=1,
            commitment_id="c1",
            measure=old.measure,
            measure_label=old.measure_label,
            unit=old.unit,
            unit_label=old.unit_label,
            purpose=old.purpose,
            is_money=False,
            quantity=8.0,
            wards=old.wards,
            trigger_kind="commencement",
            due_amount=26,
            due_unit="weeks",
            status="on_track",
            due_on=dt.date(2026, 10, 1),
            counted=0.0,
            created_at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC),
        )
        session.add(new)
        session.flush()
        old.varied_by_id = variation.id
        old.superseded_by_id = new.id
        old.status = "varied"
    client = sign_in(app.test_client(), scheme["officer"])
    agreements = _csv(_download(client, "developer-agreement").text)
    assert [
        (a["reference"], a["developer-agreement-type"], a["start-date"], a["end-date"])
        for a in agreements
    ] == [
        ("P2026/0001/S106", "section-106", "2026-04-01", "2026-08-31"),
        ("P2026/0001/S106-v2", "deed-of-variation", "2026-09-01", ""),
    ]
    assert agreements[1]["name"] == f"Deed of variation 1 of {scheme['application_reference']}"
    contributions = _csv(_download(client, "developer-agreement-contribution").text)
    assert [
        (c["reference"], c["developer-agreement"], c["units"], c["start-date"], c["end-date"])
        for c in contributions
    ] == [
        ("P2026/0001/S106-1", "P2026/0001/S106", "10", "2026-04-01", "2026-08-31"),
        ("P2026/0001/S106-v2-1", "P2026/0001/S106-v2", "8", "2026-09-01", ""),
        ("P2026/0001/S106-2", "P2026/0001/S106", "", "2026-04-01", ""),
    ]  # by head of terms number
    # (a) counts the agreement entered into, not its variation.
    ifs = {
        r["paragraph"]: r
        for r in _csv(client.get("/admin/contributions/islington/ifs.csv?year=2026").text)
    }
    assert ifs["3(a)"]["amount"] == "460.00"
    # The public figures promise what is in force: the 8, not the varied-away 10.
    public = app.test_client().get("/councils/islington/wards")
    assert 'data-promised="8.0"' in public.text
