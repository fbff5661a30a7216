"""Approved schemes' offers per measure, and their distributions, kept for benchmarking.

`refresh(session, statement)` runs in the transaction of every decision into or out of
"approved" (beside the public figures): it replaces the statement's offers and recomputes
the distributions of the measures it touched, so a review page reads a handful of rows
whatever the number of schemes. `rebuild(session, council)` recomputes them from the
records (`planning-sv figures rebuild`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, selectinload

from planning_sv.core import benchmarks as bm
from planning_sv.core.measures import Measure, load_measures
from planning_sv.store.models import Base, Statement, StatementVersion

APPROVED = "approved"
BATCH = 500


class SchemeOfferRow(Base):
    """One approved scheme's offer of one measure, with the figures to divide it by."""

    __tablename__ = "scheme_offers"
    __table_args__ = (Index("ix_scheme_offers_council_measure", "council", "measure"),)

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    measure: Mapped[str] = mapped_column(String(100), primary_key=True)
    council: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[float] = mapped_column(Float)
    build_cost_gbp: Mapped[float] = mapped_column(Float)
    dwellings: Mapped[int] = mapped_column(Integer)
    floorspace_sqm: Mapped[float] = mapped_column(Float)


class OfferDistributionRow(Base):
    """Median and quartiles of one measure's offers per metric over a council's schemes."""

    __tablename__ = "offer_distributions"

    council: Mapped[str] = mapped_column(String(64), primary_key=True)
    measure: Mapped[str] = mapped_column(String(100), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    schemes: Mapped[int] = mapped_column(Integer)
    lower_quartile: Mapped[float] = mapped_column(Float)
    median: Mapped[float] = mapped_column(Float)
    upper_quartile: Mapped[float] = mapped_column(Float)


def offers_of(
    data: Mapping[str, Any], on: dt.date, measures: Mapping[str, Measure]
) -> list[bm.SchemeOffer]:
    return bm.scheme_offers(
        data.get("development") or {}, data.get("commitments") or [], measures, on
    )


def _offers_of_statement(
    statement: Statement, measures: Mapping[str, Measure]
) -> list[bm.SchemeOffer]:
    version = statement.latest_version
    if version is None or version.assessment is None:
        return []
    # The statement's own figures (development, commitments), on the date its rules applied.
    return offers_of(version.data, version.assessment.record.applied_on, measures)


def _recompute(session: Session, council: str, touched: Iterable[str]) -> None:
    for measure in sorted(set(touched)):
        session.execute(
            delete(OfferDistributionRow).where(
                OfferDistributionRow.council == council, OfferDistributionRow.measure == measure
            )
        )
        rows = session.execute(
            select(
                SchemeOfferRow.unit,
                SchemeOfferRow.quantity,
                SchemeOfferRow.build_cost_gbp,
                SchemeOfferRow.dwellings,
                SchemeOfferRow.floorspace_sqm,
            ).where(SchemeOfferRow.council == council, SchemeOfferRow.measure == measure)
        ).all()
        offers = [bm.SchemeOffer(measure, *row) for row in rows]
        for metric in bm.METRICS:
            values = [v for v in (o.intensity(metric) for o in offers) if v is not None]
            found = bm.distribution(measure, metric, values)
            if found is not None:
                session.add(
                    OfferDistributionRow(
                        council=council,
                        measure=measure,
                        metric=metric,
                        schemes=found.schemes,
                        lower_quartile=found.lower_quartile,
                        median=found.median,
                        upper_quartile=found.upper_quartile,
                    )
                )
    session.flush()


def _write(session: Session, statement: Statement, offers: list[bm.SchemeOffer]) -> None:
    for offer in offers:
        session.add(
            SchemeOfferRow(
                statement_id=statement.id,
                council=statement.council,
                measure=offer.measure,
                unit=offer.unit,
                quantity=offer.quantity,
                build_cost_gbp=offer.build_cost_gbp,
                dwellings=offer.dwellings,
                floorspace_sqm=offer.floorspace_sqm,
            )
        )


def refresh(
    session: Session, statement: Statement, measures: Mapping[str, Measure] | None = None
) -> None:
    """Bring the statement's offers and the distributions they touch up to date."""
    measures = measures or load_measures()
    before = set(
        session.scalars(
            select(SchemeOfferRow.measure).where(SchemeOfferRow.statement_id == statement.id)
        )
    )
    session.execute(delete(SchemeOfferRow).where(SchemeOfferRow.statement_id == statement.id))
    offers = _offers_of_statement(statement, measures) if statement.status == APPROVED else []
    _write(session, statement, offers)
    session.flush()
    _recompute(session, statement.council, before | {o.measure for o in offers})


def rebuild(session: Session, council: str, measures: Mapping[str, Measure] | None = None) -> int:
    """Recompute a council's offers and distributions from the records; returns schemes."""
    measures = measures or load_measures()
    old = set(
        session.scalars(select(SchemeOfferRow.measure).where(SchemeOfferRow.council == council))
    )
    session.execute(delete(SchemeOfferRow).where(SchemeOfferRow.council == council))
    count = 0
    touched: set[str] = set(old)
    ids = list(
        session.scalars(
            select(Statement.id)
            .where(Statement.council == council, Statement.status == APPROVED)
            .order_by(Statement.id)
        )
    )
    for start in range(0, len(ids), BATCH):
        statements = session.scalars(
            select(Statement)
            .where(Statement.id.in_(ids[start : start + BATCH]))
            .options(selectinload(Statement.versions).selectinload(StatementVersion.assessment))
        )
        for statement in statements:
            offers = _offers_of_statement(statement, measures)
            _write(session, statement, offers)
            touched |= {o.measure for o in offers}
            count += 1
        session.flush()
    _recompute(session, council, touched)
    return count


def distributions(session: Session, council: str) -> dict[tuple[str, str], bm.Distribution]:
    # Plain rows, not ORM objects: every officer review page reads them.
    row = OfferDistributionRow
    rows = session.execute(
        select(
            row.measure, row.metric, row.schemes, row.lower_quartile, row.median, row.upper_quartile
        ).where(row.council == council)
    )
    return {(r[0], r[1]): bm.Distribution(*r) for r in rows}


def benchmark_rows(
    session: Session,
    council: str,
    data: Mapping[str, Any],
    on: dt.date,
    measures: Mapping[str, Measure],
) -> list[bm.BenchmarkRow]:
    """This statement's (statement@1 dict) offers against the council's approved schemes."""
    return bm.compare(offers_of(data, on, measures), distributions(session, council), measures)
