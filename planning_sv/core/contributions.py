"""Developer contributions data: planning.data.gov.uk's three tables, written and read back.

The national standard (digital-land `developer-contributions`, docs/MONITORING.md) has three
linked tables: an agreement (the signed S106 deed or a deed of variation), its contributions
(one obligation or sum each) and their transactions (one money or delivery event each, with a
funding status). Councils publish them as three CSV files next to their Infrastructure Funding
Statement. This module holds:

- typed records for the three rows (`Agreement`, `Contribution`, `Transaction`) and for what
  the standard cannot hold about a social value commitment (`SocialValueDetail`: measure,
  unit, ward, £ value with its value set and price year, policy, trigger, verification),
  written to a fourth file keyed by the contribution reference;
- `write_*` / `csv_text` producing the files with exactly the standard's lowercase headers,
  ISO dates, plain decimal pounds and whole-number units, every cell neutralised against
  spreadsheet formulas (core/files.csv_cell);
- `read_contributions`, the importer: it reads the same three files as councils and other
  systems write them (header variants such as `Contribution_Funding Status` or `amount (£)`,
  `dd/mm/yyyy` dates, status values such as `SECURED:`), and reports every fault in one
  pass as `<file> row N, column X`. All or nothing: one fault and nothing is returned.

Pure: no Flask, no database. The store turns its monitoring tables into these records.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.figures import day_fields, parse_number
from planning_sv.core.files import csv_cell

# --- the standard: file names, headers and code lists ------------------------------------

AGREEMENT_FILE = "developer-agreement.csv"
CONTRIBUTION_FILE = "developer-agreement-contribution.csv"
TRANSACTION_FILE = "developer-agreement-transaction.csv"
# Our extension (not part of the national standard): one row per contribution and ward.
SOCIAL_VALUE_FILE = "developer-agreement-contribution-social-value.csv"
STANDARD_FILES = (AGREEMENT_FILE, CONTRIBUTION_FILE, TRANSACTION_FILE)

AGREEMENT_COLUMNS = (
    "reference",
    "name",
    "developer-agreement-type",
    "planning-application",
    "document-url",
    "notes",
    "organisation",
    "entry-date",
    "start-date",
    "end-date",
)
CONTRIBUTION_COLUMNS = (
    "reference",
    "name",
    "developer-agreement",
    "contribution-purpose",
    "amount",
    "units",
    "notes",
    "organisation",
    "entry-date",
    "start-date",
    "end-date",
)
TRANSACTION_COLUMNS = (
    "reference",
    "name",
    "developer-agreement-contribution",
    "contribution-funding-status",
    "amount",
    "units",
    "notes",
    "organisation",
    "entry-date",
    "start-date",
    "end-date",
)
SOCIAL_VALUE_COLUMNS = (
    "developer-agreement-contribution",
    "measure",
    "unit",
    "quantity",
    "ward",
    "ward-name",
    "ward-share",
    "value-gbp",
    "value-set",
    "price-year",
    "policy",
    "trigger",
    "due-date",
    "status",
    "delivered-quantity",
    "verification",
)

# planning.data.gov.uk `developer-agreement-type` (a unilateral undertaking is a section 106
# obligation entered into by the developer alone, so it is written as `section-106`).
AGREEMENT_TYPES = ("section-106", "deed-of-variation", "community-infrastructure-levy")
# planning.data.gov.uk `contribution-purpose` (entities 16200000-16200021).
CONTRIBUTION_PURPOSES = (
    "affordable-housing",
    "bonds",
    "cil-administration-costs",
    "community-facilities",
    "community-infrastructure-levy",
    "digital-infrastructure",
    "economic-development",
    "education",
    "flood",
    "flood-and-water-management",
    "green-infrastructure",
    "health",
    "highways",
    "land",
    "mayoral-community-infrastructure-levy",
    "monitoring-fees",
    "neighbourhood-community-infrastructure-levy",
    "open-space",
    "open-space-and-leisure",
    "other",
    "transport",
    "transport-and-travel",
)
# planning.data.gov.uk `contribution-funding-status`, plus `returned` from the 2019 guidance.
FUNDING_STATUSES = ("secured", "received", "allocated", "transferred", "spent", "returned")

MONITORING_FEES = "monitoring-fees"
# Social value themes (measures.yaml `theme`) that are economic development in the standard's
# code list: jobs, skills and growth (local spend, workspace). Community and environment
# commitments have no purpose of their own in the code list, so they are `other`.
ECONOMIC_THEMES = frozenset({"jobs", "skills", "growth"})

MAX_IMPORT_ROWS = 100_000  # per file: far above any council's S106 history


def social_value_purpose(theme: str | None) -> str:
    """The standard's purpose for a social value commitment of a measure with this theme."""
    return "economic-development" if theme in ECONOMIC_THEMES else "other"


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    reference: str
    developer_agreement_type: str
    organisation: str
    name: str = ""
    planning_application: str = ""
    document_url: str = ""
    notes: str = ""
    entry_date: dt.date | None = None
    start_date: dt.date | None = None  # signed and sealed
    end_date: dt.date | None = None  # last day this version applied (superseded by a DoV)


@dataclass(frozen=True)
class Contribution:
    reference: str
    developer_agreement: str
    contribution_purpose: str
    organisation: str
    name: str = ""
    amount: Decimal | None = None  # £ agreed
    units: int | None = None  # whole-number non-monetary quantity
    notes: str = ""
    entry_date: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


@dataclass(frozen=True)
class Transaction:
    reference: str
    developer_agreement_contribution: str
    contribution_funding_status: str
    organisation: str
    name: str = ""
    amount: Decimal | None = None  # £ for this event
    units: int | None = None  # part of a non-monetary contribution delivered
    notes: str = ""
    entry_date: dt.date | None = None
    start_date: dt.date | None = None  # the date the status took effect
    end_date: dt.date | None = None


@dataclass(frozen=True)
class SocialValueDetail:
    """What the standard cannot hold about a social value contribution, in one ward.

    `ward` is the GSS code, blank for a borough-wide share; `quantity` and `value_gbp` are the
    ward's part; `delivered_quantity` counts verified delivery only."""

    contribution: str
    measure: str
    unit: str
    quantity: float
    ward: str = ""
    ward_name: str = ""
    ward_share: float = 1.0
    value_gbp: Decimal | None = None
    value_set: str = ""
    price_year: int | None = None
    policy: str = ""
    trigger: str = ""
    due_date: dt.date | None = None
    status: str = ""
    delivered_quantity: float | None = None
    verification: str = ""


@dataclass(frozen=True)
class ContributionsData:
    """One council's agreements, contributions, transactions (and social value details)."""

    agreements: tuple[Agreement, ...] = ()
    contributions: tuple[Contribution, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    social_value: tuple[SocialValueDetail, ...] = field(default=())

    def problems(self) -> list[Problem]:
        """Broken links: a contribution naming no agreement, a transaction no contribution."""
        found: list[Problem] = []
        agreements = {a.reference for a in self.agreements}
        contributions = {c.reference for c in self.contributions}
        for c in self.contributions:
            if c.developer_agreement not in agreements:
                found.append(
                    Problem(
                        f"contribution {c.reference}",
                        f"names agreement '{c.developer_agreement}', which is not in the data",
                    )
                )
        for t in self.transactions:
            if t.developer_agreement_contribution not in contributions:
                found.append(
                    Problem(
                        f"transaction {t.reference}",
                        f"names contribution '{t.developer_agreement_contribution}', "
                        "which is not in the data",
                    )
                )
        return found


# --- writing ------------------------------------------------------------------------------


def format_amount(value: Decimal | None) -> str:
    """Plain decimal pounds, no symbol or separators: 100000.00."""
    if value is None:
        return ""
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _date(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def _units(value: int | None) -> str:
    return "" if value is None else str(int(value))


def agreement_row(a: Agreement) -> dict[str, str]:
    return {
        "reference": a.reference,
        "name": a.name,
        "developer-agreement-type": a.developer_agreement_type,
        "planning-application": a.planning_application,
        "document-url": a.document_url,
        "notes": a.notes,
        "organisation": a.organisation,
        "entry-date": _date(a.entry_date),
        "start-date": _date(a.start_date),
        "end-date": _date(a.end_date),
    }


def contribution_row(c: Contribution) -> dict[str, str]:
    return {
        "reference": c.reference,
        "name": c.name,
        "developer-agreement": c.developer_agreement,
        "contribution-purpose": c.contribution_purpose,
        "amount": format_amount(c.amount),
        "units": _units(c.units),
        "notes": c.notes,
        "organisation": c.organisation,
        "entry-date": _date(c.entry_date),
        "start-date": _date(c.start_date),
        "end-date": _date(c.end_date),
    }


def transaction_row(t: Transaction) -> dict[str, str]:
    return {
        "reference": t.reference,
        "name": t.name,
        "developer-agreement-contribution": t.developer_agreement_contribution,
        "contribution-funding-status": t.contribution_funding_status,
        "amount": format_amount(t.amount),
        "units": _units(t.units),
        "notes": t.notes,
        "organisation": t.organisation,
        "entry-date": _date(t.entry_date),
        "start-date": _date(t.start_date),
        "end-date": _date(t.end_date),
    }


def _plain(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def social_value_row(s: SocialValueDetail) -> dict[str, str]:
    return {
        "developer-agreement-contribution": s.contribution,
        "measure": s.measure,
        "unit": s.unit,
        "quantity": _plain(s.quantity),
        "ward": s.ward,
        "ward-name": s.ward_name,
        "ward-share": _plain(s.ward_share),
        "value-gbp": format_amount(s.value_gbp),
        "value-set": s.value_set,
        "price-year": "" if s.price_year is None else str(s.price_year),
        "policy": s.policy,
        "trigger": s.trigger,
        "due-date": _date(s.due_date),
        "status": s.status,
        "delivered-quantity": _plain(s.delivered_quantity),
        "verification": s.verification,
    }


def csv_chunks(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """CSV text, a header then one chunk per row; every cell neutralised (core/files.csv_cell)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow({k: csv_cell("" if v is None else v) for k, v in row.items()})
        yield buffer.getvalue()


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    return "".join(csv_chunks(columns, rows))


def export_files(data: ContributionsData) -> dict[str, str]:
    """The four files' names and text: the three standard files and our social value file.

    Refuses (InputInvalid) data whose links are broken, so a published set never has a
    transaction without its contribution or a contribution without its agreement."""
    broken = data.problems()
    if broken:
        raise InputInvalid(broken)
    return {
        AGREEMENT_FILE: csv_text(AGREEMENT_COLUMNS, map(agreement_row, data.agreements)),
        CONTRIBUTION_FILE: csv_text(
            CONTRIBUTION_COLUMNS, map(contribution_row, data.contributions)
        ),
        TRANSACTION_FILE: csv_text(TRANSACTION_COLUMNS, map(transaction_row, data.transactions)),
        SOCIAL_VALUE_FILE: csv_text(SOCIAL_VALUE_COLUMNS, map(social_value_row, data.social_value)),
    }


# --- reading (the importer) ---------------------------------------------------------------

_PARENTHESES = re.compile(r"\([^)]*\)")
_SEPARATORS = re.compile(r"[\s_]+")


def normalise_header(text: str) -> str:
    """'Contribution_Funding Status' -> 'contribution-funding-status'; 'amount (£)' -> 'amount'."""
    cleaned = _PARENTHESES.sub(" ", text.replace("\ufeff", "")).strip().lower()
    cleaned = _SEPARATORS.sub("-", cleaned)
    return re.sub(r"-+", "-", cleaned).strip("-")


# Header variants seen in councils' files and the national pipeline's column.csv, after
# normalise_header, per file -> the standard column.
_COMMON_ALIASES = {
    "entrydate": "entry-date",
    "startdate": "start-date",
    "enddate": "end-date",
    "organisation-code": "organisation",
    "organization": "organisation",
    "note": "notes",
    "comments": "notes",
    "amount-gbp": "amount",
    "value": "amount",
    "unit": "units",
    "units-achieved": "units",
    "number-of-units": "units",
}
_ALIASES: dict[str, dict[str, str]] = {
    AGREEMENT_FILE: {
        **_COMMON_ALIASES,
        "developer-agreement": "reference",
        "developer-agreement-reference": "reference",
        "agreement-reference": "reference",
        "developer-agreement-classification": "developer-agreement-type",
        "agreement-type": "developer-agreement-type",
        "type": "developer-agreement-type",
        "planning-application-reference": "planning-application",
        "planning-applications": "planning-application",
        "application-reference": "planning-application",
        "document": "document-url",
        "url": "document-url",
        "date-signed": "start-date",
    },
    CONTRIBUTION_FILE: {
        **_COMMON_ALIASES,
        "developer-agreement-contribution": "reference",
        "contribution-reference": "reference",
        "developer-agreement-reference": "developer-agreement",
        "agreement-reference": "developer-agreement",
        "agreement": "developer-agreement",
        "purpose": "contribution-purpose",
    },
    TRANSACTION_FILE: {
        **_COMMON_ALIASES,
        "developer-agreement-transaction": "reference",
        "transaction-reference": "reference",
        "developer-agreement-contribution-reference": "developer-agreement-contribution",
        "contribution-reference": "developer-agreement-contribution",
        "contribution": "developer-agreement-contribution",
        "funding-status": "contribution-funding-status",
        "status": "contribution-funding-status",
    },
}
_COLUMNS = {
    AGREEMENT_FILE: AGREEMENT_COLUMNS,
    CONTRIBUTION_FILE: CONTRIBUTION_COLUMNS,
    TRANSACTION_FILE: TRANSACTION_COLUMNS,
}
_REQUIRED = {
    AGREEMENT_FILE: ("reference", "developer-agreement-type"),
    CONTRIBUTION_FILE: ("reference", "developer-agreement", "contribution-purpose"),
    TRANSACTION_FILE: (
        "reference",
        "developer-agreement-contribution",
        "contribution-funding-status",
    ),
}
# Values older files use for the agreement type (the 2019 guidance's classification column).
_TYPE_VALUES = {
    "s106": "section-106",
    "section106": "section-106",
    "section-106-agreement": "section-106",
    "unilateral-undertaking": "section-106",
    "uu": "section-106",
    "cil": "community-infrastructure-levy",
    "dov": "deed-of-variation",
    "variation": "deed-of-variation",
}
_STATUS_VALUES = {"recd": "received", "rec": "received", "paid": "received"}


def parse_date(text: str) -> dt.date:
    """ISO `2027-03-31`, or `31/03/2027` (also with - or .), as councils' files write dates,
    read by core/figures.py `day_fields` (the one reading of typed dates, so it also takes
    `31 March 2027`); ValueError naming the forms otherwise."""
    value = text.strip()
    # Spreadsheets append a midnight time to dates: '2027-03-31 00:00:00', '31/03/2027 00:00'.
    value = re.sub(r"[ T]00:00(:00)?$", "", value)
    fields = day_fields(value)
    if fields is None:
        raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
    try:
        return dt.date(*fields)
    except (ValueError, OverflowError):
        raise ValueError(f"'{text}' is not a date on the calendar") from None


def code_value(text: str) -> str:
    """'SECURED:' -> 'secured'; 'Economic Development' -> 'economic-development'."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.strip().lower())
    return cleaned.strip("-")


def parse_amount(text: str) -> Decimal:
    """£ as spreadsheets write it ('£1,000.50', '1000'); never negative, at most 2 decimals
    after rounding to the penny; ValueError otherwise."""
    number = parse_number(text)
    if number is None:
        raise ValueError(f"'{text}' is not an amount in pounds")
    try:
        amount = Decimal(text.strip().removeprefix("£").replace(",", "").strip())
    except InvalidOperation:
        amount = Decimal(str(number))
    if amount < 0:
        raise ValueError(f"'{text}' is negative; amounts are never below £0")
    if amount >= Decimal("1e12"):
        raise ValueError(f"'{text}' is more than £1,000,000,000,000")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_units(text: str) -> int:
    """A whole-number quantity ('20', '20.0', '1,000'); ValueError otherwise."""
    number = parse_number(text)
    if number is None or not float(number).is_integer():
        raise ValueError(f"'{text}' is not a whole number")
    if number < 0:
        raise ValueError(f"'{text}' is negative")
    if number > 10**9:
        raise ValueError(f"'{text}' is more than 1,000,000,000")
    return int(number)


MAX_IMPORT_BYTES = 20 * 1024 * 1024  # per file
_DATED_NAME = re.compile(
    r"^(developer-agreement(?:-contribution|-transaction)?)(?:[_-]\d{8})?\.csv$", re.IGNORECASE
)


def standard_name(filename: str) -> str | None:
    """The standard file a name stands for: 'developer-agreement-transaction_20260401.csv'
    (the 2019 guidance's dated names) -> 'developer-agreement-transaction.csv'; else None."""
    match = _DATED_NAME.match(filename.strip().replace(" ", "-").replace("_", "-", 2))
    if match is None:
        match = _DATED_NAME.match(filename.strip())
    return f"{match.group(1).lower()}.csv" if match else None


def decode_files(files: Mapping[str, bytes]) -> dict[str, str]:
    """Uploaded or read files (name -> bytes) as the standard names -> text, or InputInvalid
    naming each file that is not one of the three, too large, or not UTF-8 text."""
    problems: list[Problem] = []
    texts: dict[str, str] = {}
    for filename, data in files.items():
        name = standard_name(filename)
        if name is None:
            problems.append(
                Problem(filename, f"is not one of the standard files ({', '.join(STANDARD_FILES)})")
            )
            continue
        if name in texts:
            problems.append(Problem(filename, f"is a second {name}"))
            continue
        if len(data) > MAX_IMPORT_BYTES:
            problems.append(Problem(filename, f"is larger than {MAX_IMPORT_BYTES // 2**20} MB"))
            continue
        if b"\x00" in data:
            problems.append(Problem(filename, "is not a CSV text file"))
            continue
        try:
            texts[name] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                # Excel on Windows saves "CSV" as Windows-1252 (the £ sign is byte 0xA3).
                texts[name] = data.decode("cp1252")
            except UnicodeDecodeError:
                problems.append(Problem(filename, "is not UTF-8 or Windows-1252 text"))
    if problems:
        raise InputInvalid(problems)
    return texts


@dataclass
class _Table:
    name: str
    rows: list[tuple[int, dict[str, str]]]  # (row number in the file, cells by column)


def _read_table(name: str, text: str, problems: list[Problem]) -> _Table | None:
    """The file's rows keyed by standard column, or None after a fault in its header."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append(Problem(f"{name} row 1", f"is not CSV: {exc}"))
        return None
    if not header or not any(h.strip() for h in header):
        problems.append(Problem(name, "is empty: it needs a header row and one row per record"))
        return None
    aliases = _ALIASES[name]
    known = set(_COLUMNS[name])
    columns: list[str | None] = []
    seen: dict[str, str] = {}
    faulty = False
    for raw in header:
        key = normalise_header(raw)
        key = key if key in known else aliases.get(key, key)
        if key not in known:
            columns.append(None)  # a column of the council's own: ignored
            continue
        if key in seen:
            problems.append(
                Problem(
                    f"{name} row 1, column {raw.strip()}",
                    f"repeats column {key} (also given as '{seen[key]}')",
                )
            )
            faulty = True
        seen[key] = raw.strip()
        columns.append(key)
    missing = [c for c in _REQUIRED[name] if c not in seen]
    if missing:
        problems.append(
            Problem(
                f"{name} row 1",
                f"has no column {', '.join(missing)} (the header has: "
                f"{', '.join(h.strip() for h in header)})",
            )
        )
        faulty = True
    if faulty:
        return None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                problems.append(
                    Problem(f"{name} row {number}", f"more than {MAX_IMPORT_ROWS:,} rows")
                )
                return None
            if len(cells) > len(columns):
                problems.append(
                    Problem(
                        f"{name} row {number}",
                        f"has {len(cells)} cells but the header has {len(columns)} columns",
                    )
                )
                continue
            row = {c: v.strip() for c, v in zip(columns, cells, strict=False) if c is not None}
            rows.append((number, row))
    except csv.Error as exc:
        problems.append(Problem(f"{name} row {reader.line_num}", f"is not CSV: {exc}"))
        return None
    return _Table(name, rows)


class _Row:
    """Reads one row's cells, adding a Problem at '<file> row N, column X' for each fault."""

    def __init__(self, table: str, number: int, cells: dict[str, str], problems: list[Problem]):
        self.table, self.number, self.cells, self.problems = table, number, cells, problems
        self.ok = True

    def where(self, column: str) -> str:
        return f"{self.table} row {self.number}, column {column}"

    def fault(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.where(column), message))
        self.ok = False

    def text(self, column: str, *, required: bool = False, limit: int = 2000) -> str:
        value = self.cells.get(column, "")
        if required and not value:
            self.fault(column, "is empty")
        elif len(value) > limit:
            self.fault(column, f"is longer than {limit:,} characters")
        return value

    def code(self, column: str, allowed: Sequence[str], extra: Mapping[str, str]) -> str:
        raw = self.cells.get(column, "")
        if not raw:
            self.fault(column, "is empty")
            return ""
        value = code_value(raw)
        value = extra.get(value.replace("-", ""), extra.get(value, value))
        if value not in allowed:
            self.fault(column, f"'{raw}' is not one of {', '.join(allowed)}")
        return value

    def date(self, column: str) -> dt.date | None:
        raw = self.cells.get(column, "")
        if not raw:
            return None
        try:
            return parse_date(raw)
        except ValueError as exc:
            self.fault(column, str(exc))
            return None

    def amount(self) -> Decimal | None:
        raw = self.cells.get("amount", "")
        if not raw:
            return None
        try:
            return parse_amount(raw)
        except ValueError as exc:
            self.fault("amount", str(exc))
            return None

    def units(self) -> int | None:
        raw = self.cells.get("units", "")
        if not raw:
            return None
        try:
            return parse_units(raw)
        except ValueError as exc:
            self.fault("units", str(exc))
            return None

    def organisation(self, council: str) -> str:
        raw = self.cells.get("organisation", "")
        if raw and raw.strip().lower() != council.lower():
            self.fault("organisation", f"'{raw}' is not this council ({council})")
        return council

    def dates(self) -> tuple[dt.date | None, dt.date | None, dt.date | None]:
        entry, start, end = self.date("entry-date"), self.date("start-date"), self.date("end-date")
        if start and end and end < start:
            self.fault("end-date", f"{end.isoformat()} is before the start-date {start}")
        return entry, start, end


def _unique(
    reference: str, row: _Row, seen: dict[str, int], known: frozenset[str] = frozenset()
) -> None:
    if not reference:
        return
    if reference in seen:
        row.fault("reference", f"'{reference}' is also on row {seen[reference]}")
    elif reference in known:
        row.fault("reference", f"'{reference}' is already recorded for this council")
    else:
        seen[reference] = row.number


def _referenced_rows(
    tables: Mapping[str, _Table | None],
    name: str,
    problems: list[Problem],
    seen: dict[str, int],
    taken: frozenset[str],
) -> Iterator[tuple[_Row, str]]:
    """Each row of file `name` (none when the file was not given or not readable) with its
    reference, already checked: present, at most 200 characters, unique in the file (noted
    in `seen`) and not already recorded (`taken`)."""
    table = tables.get(name)
    for number, cells in table.rows if table else ():
        row = _Row(name, number, cells, problems)
        reference = row.text("reference", required=True, limit=200)
        _unique(reference, row, seen, taken)
        yield row, reference


def read_contributions(
    files: Mapping[str, str],
    *,
    organisation: str,
    known_agreements: Iterable[str] = (),
    known_contributions: Iterable[str] = (),
    existing: Iterable[str] = (),
) -> ContributionsData:
    """The three standard files (by name -> text) as records, or InputInvalid listing every
    fault as '<file> row N, column X: message'.

    `organisation` is the importing council's CURIE: a row naming another council is refused,
    a blank cell is filled in. `known_agreements` / `known_contributions` are references the
    council already holds, so a file of new transactions may name an existing contribution.
    `existing` are references already recorded (any table): importing one again is refused
    rather than silently duplicated. The contribution and transaction files may be absent
    (an agreement file alone is a start); the agreement file may be absent only when every
    contribution names a known agreement.
    """
    problems: list[Problem] = []
    for name in files:
        if name not in STANDARD_FILES:
            problems.append(
                Problem(name, f"is not one of the standard files ({', '.join(STANDARD_FILES)})")
            )
    if not files:
        problems.append(Problem("files", f"none given (expected {', '.join(STANDARD_FILES)})"))
    tables = {
        name: _read_table(name, files[name], problems) for name in STANDARD_FILES if name in files
    }
    taken = frozenset(existing)

    agreements: list[Agreement] = []
    seen: dict[str, int] = {}
    for row, reference in _referenced_rows(tables, AGREEMENT_FILE, problems, seen, taken):
        kind = row.code("developer-agreement-type", AGREEMENT_TYPES, _TYPE_VALUES)
        url = row.text("document-url")
        if url and not re.match(r"^https?://", url, re.IGNORECASE):
            row.fault("document-url", f"'{url}' is not an http(s) address")
        entry, start, end = row.dates()
        record = Agreement(
            reference=reference,
            developer_agreement_type=kind,
            organisation=row.organisation(organisation),
            name=row.text("name", limit=500),
            planning_application=row.text("planning-application", limit=200),
            document_url=url,
            notes=row.text("notes"),
            entry_date=entry,
            start_date=start,
            end_date=end,
        )
        if row.ok:
            agreements.append(record)
    agreement_refs = set(seen) | set(known_agreements)

    contributions: list[Contribution] = []
    seen = {}
    for row, reference in _referenced_rows(tables, CONTRIBUTION_FILE, problems, seen, taken):
        parent = row.text("developer-agreement", required=True, limit=200)
        if parent and parent not in agreement_refs:
            row.fault(
                "developer-agreement",
                f"'{parent}' is not an agreement in {AGREEMENT_FILE} or already recorded",
            )
        purpose = row.code("contribution-purpose", CONTRIBUTION_PURPOSES, {})
        entry, start, end = row.dates()
        record_c = Contribution(
            reference=reference,
            developer_agreement=parent,
            contribution_purpose=purpose,
            organisation=row.organisation(organisation),
            name=row.text("name", limit=500),
            amount=row.amount(),
            units=row.units(),
            notes=row.text("notes"),
            entry_date=entry,
            start_date=start,
            end_date=end,
        )
        if row.ok:
            contributions.append(record_c)
    contribution_refs = set(seen) | set(known_contributions)

    transactions: list[Transaction] = []
    seen = {}
    for row, reference in _referenced_rows(tables, TRANSACTION_FILE, problems, seen, taken):
        parent = row.text("developer-agreement-contribution", required=True, limit=200)
        if parent and parent not in contribution_refs:
            row.fault(
                "developer-agreement-contribution",
                f"'{parent}' is not a contribution in {CONTRIBUTION_FILE} or already recorded",
            )
        status = row.code("contribution-funding-status", FUNDING_STATUSES, _STATUS_VALUES)
        amount, units = row.amount(), row.units()
        if amount is None and units is None and row.ok:
            row.fault("amount", "is empty, and so is units: a transaction moves £ or units")
        entry, start, end = row.dates()
        if start is None and row.ok:
            row.fault("start-date", "is empty: the date the status took effect")
        record_t = Transaction(
            reference=reference,
            developer_agreement_contribution=parent,
            contribution_funding_status=status,
            organisation=row.organisation(organisation),
            name=row.text("name", limit=500),
            amount=amount,
            units=units,
            notes=row.text("notes"),
            entry_date=entry,
            start_date=start,
            end_date=end,
        )
        if row.ok:
            transactions.append(record_t)

    if problems:
        raise InputInvalid(problems)
    return ContributionsData(tuple(agreements), tuple(contributions), tuple(transactions))
