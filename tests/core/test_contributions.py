"""Developer contributions data: the national three-file export and the importer."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from planning_sv.core import contributions as dc
from planning_sv.core.errors import InputInvalid
from planning_sv.core.plans import load_plans

ISL = "local-authority:ISL"


def _data() -> dc.ContributionsData:
    agreement = dc.Agreement(
        reference="P2026/0001/FUL-da",
        developer_agreement_type="section-106",
        organisation=ISL,
        name='=HYPERLINK("http://x")',  # formula injection in a user-typed name
        planning_application="P2026/0001/FUL",
        document_url="https://example.org/deed.pdf",
        entry_date=dt.date(2026, 5, 2),
        start_date=dt.date(2026, 4, 1),
    )
    jobs = dc.Contribution(
        reference="P2026/0001/FUL-da-c1",
        developer_agreement=agreement.reference,
        contribution_purpose="economic-development",
        organisation=ISL,
        name="Local people employed",
        units=20,
        start_date=dt.date(2026, 4, 1),
    )
    fee = dc.Contribution(
        reference="P2026/0001/FUL-da-fee",
        developer_agreement=agreement.reference,
        contribution_purpose="monitoring-fees",
        organisation=ISL,
        amount=Decimal("460"),
    )
    paid = dc.Transaction(
        reference="P2026/0001/FUL-da-fee-t1",
        developer_agreement_contribution=fee.reference,
        contribution_funding_status="received",
        organisation=ISL,
        amount=Decimal("460.005"),
        start_date=dt.date(2027, 3, 31),
    )
    delivered = dc.Transaction(
        reference="P2026/0001/FUL-da-c1-t1",
        developer_agreement_contribution=jobs.reference,
        contribution_funding_status="received",
        organisation=ISL,
        units=5,
        start_date=dt.date(2026, 12, 1),
    )
    detail = dc.SocialValueDetail(
        contribution=jobs.reference,
        measure="local_employment",
        unit="fte_years",
        quantity=12.0,
        ward="E05000367",
        ward_name="Bunhill",
        ward_share=0.6,
        value_gbp=Decimal("123456.789"),
        value_set="open@2026.1",
        price_year=2024,
        policy="Islington Local Plan B4",
        trigger="within 26 weeks of commencement",
        due_date=dt.date(2027, 9, 1),
        status="on_track",
        delivered_quantity=3.0,
        verification="1 report accepted",
    )
    return dc.ContributionsData(
        agreements=(agreement,),
        contributions=(jobs, fee),
        transactions=(paid, delivered),
        social_value=(detail,),
    )


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_headers_are_exactly_the_national_standard() -> None:
    files = dc.export_files(_data())
    assert set(files) == {
        "developer-agreement.csv",
        "developer-agreement-contribution.csv",
        "developer-agreement-transaction.csv",
        "developer-agreement-contribution-social-value.csv",
    }
    assert files["developer-agreement.csv"].splitlines()[0] == (
        "reference,name,developer-agreement-type,planning-application,document-url,notes,"
        "organisation,entry-date,start-date,end-date"
    )
    assert files["developer-agreement-contribution.csv"].splitlines()[0] == (
        "reference,name,developer-agreement,contribution-purpose,amount,units,notes,"
        "organisation,entry-date,start-date,end-date"
    )
    assert files["developer-agreement-transaction.csv"].splitlines()[0] == (
        "reference,name,developer-agreement-contribution,contribution-funding-status,amount,"
        "units,notes,organisation,entry-date,start-date,end-date"
    )
    assert files["developer-agreement-contribution-social-value.csv"].splitlines()[0] == (
        "developer-agreement-contribution,measure,unit,quantity,ward,ward-name,ward-share,"
        "value-gbp,value-set,price-year,policy,trigger,due-date,status,delivered-quantity,"
        "verification"
    )


def test_code_lists_are_the_national_ones() -> None:
    assert dc.FUNDING_STATUSES == (
        "secured",
        "received",
        "allocated",
        "transferred",
        "spent",
        "returned",
    )
    assert len(dc.CONTRIBUTION_PURPOSES) == 22
    assert {"economic-development", "other", "monitoring-fees"} <= set(dc.CONTRIBUTION_PURPOSES)
    assert dc.social_value_purpose("jobs") == "economic-development"
    assert dc.social_value_purpose("skills") == "economic-development"
    assert dc.social_value_purpose("growth") == "economic-development"
    assert dc.social_value_purpose("community") == "other"
    assert dc.social_value_purpose("environment") == "other"


def test_organisation_codes_come_from_the_council_plans() -> None:
    plans = load_plans()
    assert plans["islington"].organisation == "local-authority:ISL"
    assert plans["salford"].organisation == "local-authority:SLF"


def test_values_are_iso_dates_plain_pounds_whole_units_and_neutralised() -> None:
    files = dc.export_files(_data())
    (agreement,) = _rows(files["developer-agreement.csv"])
    assert agreement["name"] == '\'=HYPERLINK("http://x")'
    assert agreement["start-date"] == "2026-04-01"
    assert agreement["entry-date"] == "2026-05-02"
    assert agreement["end-date"] == ""
    assert agreement["organisation"] == "local-authority:ISL"
    assert agreement["developer-agreement-type"] == "section-106"
    jobs, fee = _rows(files["developer-agreement-contribution.csv"])
    assert (jobs["contribution-purpose"], jobs["units"], jobs["amount"]) == (
        "economic-development",
        "20",
        "",
    )
    assert (fee["contribution-purpose"], fee["amount"], fee["units"]) == (
        "monitoring-fees",
        "460.00",
        "",
    )
    paid, delivered = _rows(files["developer-agreement-transaction.csv"])
    assert paid["amount"] == "460.01"  # half a penny rounds up
    assert paid["start-date"] == "2027-03-31"
    assert paid["contribution-funding-status"] == "received"
    assert (delivered["units"], delivered["amount"]) == ("5", "")
    (detail,) = _rows(files["developer-agreement-contribution-social-value.csv"])
    assert detail == {
        "developer-agreement-contribution": "P2026/0001/FUL-da-c1",
        "measure": "local_employment",
        "unit": "fte_years",
        "quantity": "12",
        "ward": "E05000367",
        "ward-name": "Bunhill",
        "ward-share": "0.6",
        "value-gbp": "123456.79",
        "value-set": "open@2026.1",
        "price-year": "2024",
        "policy": "Islington Local Plan B4",
        "trigger": "within 26 weeks of commencement",
        "due-date": "2027-09-01",
        "status": "on_track",
        "delivered-quantity": "3",
        "verification": "1 report accepted",
    }


def test_every_transaction_names_a_contribution_and_every_contribution_an_agreement() -> None:
    data = _data()
    files = dc.export_files(data)
    agreements = {r["reference"] for r in _rows(files["developer-agreement.csv"])}
    contributions = _rows(files["developer-agreement-contribution.csv"])
    assert all(c["developer-agreement"] in agreements for c in contributions)
    refs = {c["reference"] for c in contributions}
    transactions = _rows(files["developer-agreement-transaction.csv"])
    assert all(t["developer-agreement-contribution"] in refs for t in transactions)

    orphan = dc.ContributionsData(
        agreements=data.agreements,
        contributions=data.contributions,
        transactions=(dc.Transaction("t-x", "missing-c", "spent", ISL, amount=Decimal(1)),),
    )
    with pytest.raises(InputInvalid) as caught:
        dc.export_files(orphan)
    assert [str(p) for p in caught.value.problems] == [
        "transaction t-x: names contribution 'missing-c', which is not in the data"
    ]


def test_export_reads_back_to_the_same_records() -> None:
    data = _data()
    files = dc.export_files(data)
    # The formula guard adds an apostrophe: what is read back is the neutralised text.
    back = dc.read_contributions(
        {name: files[name] for name in dc.STANDARD_FILES}, organisation=ISL
    )
    assert back.contributions == data.contributions
    assert back.transactions[1] == data.transactions[1]
    assert back.transactions[0].amount == Decimal("460.01")
    assert back.agreements[0].name == '\'=HYPERLINK("http://x")'
    assert back.agreements[0].start_date == dt.date(2026, 4, 1)


VARIANT_AGREEMENTS = (
    "\ufeffDeveloper_Agreement,Developer Agreement Classification,Planning Application(s),"
    "Document URL,Organisation,Start_Date,Council column\n"
    "AWDM/1075/17,S106,AWDM/1075/17,,local-authority:isl,31/03/2027,ignored\n"
    "AWDM/2000/18,Section 106,,https://example.org/d.pdf,,1/4/2026,\n"
)
VARIANT_CONTRIBUTIONS = (
    "Developer-Agreement-Contribution,DEVELOPER AGREEMENT,Contribution Purpose,Amount (£),"
    "Units Achieved,Start Date\n"
    'AWDM/1075/17-AffHousing,AWDM/1075/17,Affordable Housing,"£1,250.5",12,31/03/2027\n'
    "AWDM/2000/18-Edu,AWDM/2000/18,education,1000,,\n"
)
VARIANT_TRANSACTIONS = (
    "developer_agreement_transaction,developer_agreement_contribution,"
    "Contribution-funding Status,amount (£),Start-Date\n"
    "AWDM/1075/17-AffHousing-recd,AWDM/1075/17-AffHousing,SECURED:,1250.50,01/04/2027\n"
    "AWDM/2000/18-Edu-recd,AWDM/2000/18-Edu,Received,1000,2027-03-31 00:00:00\n"
)


def test_importer_accepts_header_variants_day_first_dates_and_status_punctuation() -> None:
    data = dc.read_contributions(
        {
            "developer-agreement.csv": VARIANT_AGREEMENTS,
            "developer-agreement-contribution.csv": VARIANT_CONTRIBUTIONS,
            "developer-agreement-transaction.csv": VARIANT_TRANSACTIONS,
        },
        organisation=ISL,
    )
    first, second = data.agreements
    assert first.reference == "AWDM/1075/17"
    assert first.developer_agreement_type == "section-106"
    assert first.planning_application == "AWDM/1075/17"
    assert first.start_date == dt.date(2027, 3, 31)
    assert first.organisation == ISL
    assert second.developer_agreement_type == "section-106"
    assert second.start_date == dt.date(2026, 4, 1)
    assert second.organisation == ISL  # blank: filled with the importing council
    housing, education = data.contributions
    assert housing.contribution_purpose == "affordable-housing"
    assert housing.amount == Decimal("1250.50")
    assert housing.units == 12
    assert education.amount == Decimal("1000.00")
    secured, received = data.transactions
    assert secured.contribution_funding_status == "secured"
    assert secured.start_date == dt.date(2027, 4, 1)
    assert received.contribution_funding_status == "received"
    assert received.start_date == dt.date(2027, 3, 31)


def test_importer_reports_every_fault_in_one_pass_and_returns_nothing() -> None:
    agreements = (
        "reference,developer-agreement-type,organisation,start-date,end-date,document-url\n"
        "A1,section-106,,2026-04-01,2026-03-01,\n"  # ends before it starts
        "A1,s278,local-authority:SLF,31/02/2027,,javascript:alert(1)\n"  # four faults
    )
    contributions = (
        "reference,developer-agreement,contribution-purpose,amount,units\n"
        "C1,A1,social value,-5,2.5\n"
        "C2,A9,other,abc,\n"
    )
    transactions = (
        "reference,developer-agreement-contribution,contribution-funding-status,amount,start-date\n"
        "T1,C9,Invoice raised,10,2026-05-01\n"
        "T2,C1,spent,,\n"
    )
    with pytest.raises(InputInvalid) as caught:
        dc.read_contributions(
            {
                "developer-agreement.csv": agreements,
                "developer-agreement-contribution.csv": contributions,
                "developer-agreement-transaction.csv": transactions,
            },
            organisation=ISL,
        )
    assert [str(p) for p in caught.value.problems] == [
        "developer-agreement.csv row 2, column end-date: 2026-03-01 is before the start-date 2026-04-01",
        "developer-agreement.csv row 3, column reference: 'A1' is also on row 2",
        "developer-agreement.csv row 3, column developer-agreement-type: 's278' is not one of "
        "section-106, deed-of-variation, community-infrastructure-levy",
        "developer-agreement.csv row 3, column document-url: 'javascript:alert(1)' is not an "
        "http(s) address",
        "developer-agreement.csv row 3, column start-date: '31/02/2027' is not a date on the calendar",
        "developer-agreement.csv row 3, column organisation: 'local-authority:SLF' is not this "
        "council (local-authority:ISL)",
        "developer-agreement-contribution.csv row 2, column contribution-purpose: 'social value' "
        "is not one of " + ", ".join(dc.CONTRIBUTION_PURPOSES),
        "developer-agreement-contribution.csv row 2, column amount: '-5' is negative; amounts are "
        "never below £0",
        "developer-agreement-contribution.csv row 2, column units: '2.5' is not a whole number",
        "developer-agreement-contribution.csv row 3, column developer-agreement: 'A9' is not an "
        "agreement in developer-agreement.csv or already recorded",
        "developer-agreement-contribution.csv row 3, column amount: 'abc' is not an amount in pounds",
        "developer-agreement-transaction.csv row 2, column developer-agreement-contribution: 'C9' "
        "is not a contribution in developer-agreement-contribution.csv or already recorded",
        "developer-agreement-transaction.csv row 2, column contribution-funding-status: "
        "'Invoice raised' is not one of secured, received, allocated, transferred, spent, returned",
        "developer-agreement-transaction.csv row 3, column amount: is empty, and so is units: a "
        "transaction moves £ or units",
    ]


def test_importer_refuses_missing_columns_empty_and_unknown_files() -> None:
    with pytest.raises(InputInvalid) as caught:
        dc.read_contributions(
            {
                "developer-agreement.csv": "name,notes\nx,y\n",
                "developer-agreement-contribution.csv": "",
                "contributions.xlsx": "PK",
            },
            organisation=ISL,
        )
    assert [str(p) for p in caught.value.problems] == [
        "contributions.xlsx: is not one of the standard files (developer-agreement.csv, "
        "developer-agreement-contribution.csv, developer-agreement-transaction.csv)",
        "developer-agreement.csv row 1: has no column reference, developer-agreement-type "
        "(the header has: name, notes)",
        "developer-agreement-contribution.csv: is empty: it needs a header row and one row per "
        "record",
    ]


def test_importer_links_to_records_the_council_already_holds() -> None:
    data = dc.read_contributions(
        {
            "developer-agreement-transaction.csv": (
                "reference,developer-agreement-contribution,contribution-funding-status,amount,"
                "start-date\nT9,C1,spent,12.3,2027-01-02\n"
            )
        },
        organisation=ISL,
        known_contributions={"C1"},
    )
    assert data.transactions == (
        dc.Transaction(
            reference="T9",
            developer_agreement_contribution="C1",
            contribution_funding_status="spent",
            organisation=ISL,
            amount=Decimal("12.30"),
            start_date=dt.date(2027, 1, 2),
        ),
    )
    with pytest.raises(InputInvalid) as caught:
        dc.read_contributions(
            {"developer-agreement.csv": ("reference,developer-agreement-type\nA1,section-106\n")},
            organisation=ISL,
            existing={"A1"},
        )
    assert [str(p) for p in caught.value.problems] == [
        "developer-agreement.csv row 2, column reference: 'A1' is already recorded for this council"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-31", dt.date(2027, 3, 31)),
        ("31/03/2027", dt.date(2027, 3, 31)),
        ("1/4/2026", dt.date(2026, 4, 1)),
        ("01-04-2026", dt.date(2026, 4, 1)),
        ("31/03/2027 00:00", dt.date(2027, 3, 31)),
    ],
)
def test_dates_are_read_iso_or_day_first(text: str, expected: dt.date) -> None:
    assert dc.parse_date(text) == expected


def test_headers_and_codes_normalise() -> None:
    assert dc.normalise_header("Contribution_Funding  Status") == "contribution-funding-status"
    assert dc.normalise_header("amount (£)") == "amount"
    assert dc.normalise_header("\ufeffReference") == "reference"
    assert dc.code_value("SECURED:") == "secured"
    assert dc.code_value(" Economic Development ") == "economic-development"
