"""Officer case management, the pure part: target dates, overdue, and search terms.

A statement's target date is the application's validation date (statement@1
`validation_date`; without one, the date the statement was first submitted) plus the
council's target period (plan.yaml `case_target.days`; DEFAULT_TARGET_DAYS when a council
sets none). An officer may move it, with a reason (store/cases.py audits that).

Search terms are what the officer queue's search box matches (store/cases.py keeps them in
an indexed table): the application reference, the site's address and postcode, and the
applicant's organisation (or, until organisations exist, their name and email). Terms are
lower-case ASCII letters and digits only, so a prefix is a plain range over the index on
every database. Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from planning_sv.core.workflow import CLOSED, Status

# The general statutory period for deciding a planning application: 8 weeks (the Town and
# Country Planning (Development Management Procedure) (England) Order 2015, article
# 34(2)(c)). A council's plan.yaml sets its own period (major developments: 13 weeks,
# article 34(2)(b)); this applies only when it does not.
DEFAULT_TARGET_DAYS = 56
DEFAULT_TARGET_CITATION = (
    "The Town and Country Planning (Development Management Procedure) (England) Order 2015, "
    "article 34(2)(c): 8 weeks (the default when the council sets no target period)"
)
MAX_TARGET_DAYS = 730
MAX_TERM = 64  # longer words are cut: nobody types 65 characters of one word to find a case
MAX_QUERY_TERMS = 6  # more words than this narrow nothing further; they are ignored
MAX_REASON = 2000

# A UK postcode anywhere in a text (outward code, optional space, inward code).
POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class CaseTarget:
    """A council's target period for deciding a statement, with where it comes from."""

    days: int = DEFAULT_TARGET_DAYS
    citation: str = DEFAULT_TARGET_CITATION


def target_start(
    validation_date: dt.date | None, first_submitted: dt.datetime | dt.date
) -> dt.date:
    """The day the target period runs from: the validation date when the statement gives
    one, else the day it was first submitted."""
    if validation_date is not None:
        return validation_date
    if isinstance(first_submitted, dt.datetime):
        return first_submitted.date()
    return first_submitted


def target_date(start: dt.date, target: CaseTarget) -> dt.date:
    """The last day for a decision: `days` after the start (the period runs from the day
    after the application is validated, DMPO 2015 art. 34(2), so day 56 is the last)."""
    return start + dt.timedelta(days=target.days)


def is_open(status: str) -> bool:
    """Still with the council (not decided or withdrawn): a target date still matters."""
    return status != Status.DRAFT.value and status not in {s.value for s in CLOSED}


def open_target(status: str, target: dt.date | None) -> dt.date | None:
    """The target date while the case is open, else None: the one rule for what can be
    overdue. The store keeps it as `statements.open_target_date` (indexed), so the queue's
    overdue filter is `open_target_date < today`, one index range (store/cases.py)."""
    return target if is_open(status) else None


def is_overdue(target: dt.date | None, status: str, today: dt.date) -> bool:
    """Open past its target date: overdue from the day after the target date."""
    due = open_target(status, target)
    return due is not None and today > due


def days_left(target: dt.date, today: dt.date) -> int:
    """Days until the target date (0 on the day, negative once overdue)."""
    return (target - today).days


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def compact_postcode(text: str) -> str | None:
    """'N7 8QP' -> 'n78qp'; None when `text` holds no postcode."""
    match = POSTCODE.search(text or "")
    return (match.group(1) + match.group(2)).lower() if match else None


def terms_of(text: str | None) -> list[str]:
    """The search terms of a field: its words, plus each postcode written without its space
    ('n78qp') and the whole text run together when it has several words, so 'P2025/1234/FUL'
    is found by 'p2025', '1234' or 'P2025/1234'."""
    if not text:
        return []
    lowered = _ascii(str(text))
    words = _WORD.findall(lowered)
    out = list(words)
    for outward, inward in POSTCODE.findall(lowered):
        out.append((outward + inward).lower())
    if len(words) > 1:
        out.append("".join(words))
    return _unique(w[:MAX_TERM] for w in out)


def statement_terms(
    reference: str | None,
    address: str | None,
    postcode: str | None,
    applicant: Iterable[str | None] = (),
) -> list[str]:
    """Every term a statement is found by (see `terms_of`): reference, site address,
    postcode and the applicant's organisation / name / email."""
    out: list[str] = []
    for text in (reference, address, postcode, *applicant):
        out.extend(terms_of(text))
    return _unique(out)


def query_terms(query: str) -> list[str]:
    """The terms of what an officer typed: a postcode becomes one term ('N7 8QP' -> 'n78qp')
    so it is not two unrelated prefixes; every term must match (as a prefix) one of the
    statement's terms."""
    text = _ascii(query or "")
    out: list[str] = []
    for outward, inward in POSTCODE.findall(text):
        out.append((outward + inward).lower())
    text = POSTCODE.sub(" ", text)
    out.extend(_WORD.findall(text))
    return _unique(w[:MAX_TERM] for w in out)[:MAX_QUERY_TERMS]


def reference_term(query: str) -> str | None:
    """What an officer typed as one application reference ('P2025/1234/FUL', 'BENCH/COUNCIL/
    2024/000123': one token of several words, a digit among them) run together as the term
    `terms_of` stores for it ('p20251234ful'); None for anything else. The queue looks this
    up first, as one prefix, before matching the words one by one."""
    text = _ascii((query or "").strip())
    if not text or any(c.isspace() for c in text):
        return None
    words = _WORD.findall(text)
    if len(words) < 2 or not any(c.isdigit() for c in text):
        return None
    return "".join(words)[:MAX_TERM]


def prefix_bounds(term: str) -> tuple[str, str]:
    """[low, high) of every term starting with `term`: terms are [a-z0-9] only, so '{'
    (the character after 'z') ends the range under byte order."""
    return term, term + "{"


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)
