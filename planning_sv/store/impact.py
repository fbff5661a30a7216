"""The stored statements a draft rule pack is tried on (`planning-sv plans impact`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import TypeAdapter
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from planning_sv.core.assessment import CommitmentOut, RegimeOut, WardShareOut, applied_on
from planning_sv.core.impact import Case, placements_from_record
from planning_sv.core.statement import Statement as StatementModel
from planning_sv.store.models import Assessment, Statement, StatementVersion

BATCH = 500
# The record's parts, read straight from their JSON text as the assessment@1 models: as fast
# as decoding them to dicts (bench/impact.py), and typed.
_COMMITMENTS = TypeAdapter(list[CommitmentOut])
_WARDS = TypeAdapter(list[WardShareOut])


def impact_cases(
    session: Session,
    council: str,
    *,
    submitted_from: dt.date | None = None,
    submitted_to: dt.date | None = None,
) -> Iterator[Case]:
    """Each submitted statement of `council` (its latest version and that version's
    assessment), oldest id first, read in batches so memory stays flat at any size."""
    after = 0
    while True:
        query = (
            # Only the parts of the record the comparison reads: the rules' explanations and
            # the valuation are most of its size, and decoding them was half the cost. Each
            # part is read as its assessment@1 model (core/assessment.py), not walked as
            # dicts: the same typed parts `Assessment.record` gives, without the rest.
            # As text (`as_string`): pydantic reads the JSON itself, no dicts in between.
            select(
                Statement.id,
                Statement.application_reference,
                StatementVersion.data,
                Assessment.data["commitments"].as_string(),
                Assessment.data["site"]["wards"].as_string(),
                Assessment.data["regime"].as_string(),
                Assessment.data["assessed_on"].as_string(),
            )
            .join(
                StatementVersion,
                and_(
                    StatementVersion.statement_id == Statement.id,
                    StatementVersion.number == Statement.latest_version_number,
                ),
            )
            .join(Assessment, Assessment.version_id == StatementVersion.id)
            .where(Statement.council == council, Statement.id > after)
            .order_by(Statement.id)
            .limit(BATCH)
        )
        if submitted_from is not None:
            start = dt.datetime.combine(submitted_from, dt.time.min, tzinfo=dt.UTC)
            query = query.where(Statement.submitted_at >= start)
        if submitted_to is not None:
            end = dt.datetime.combine(
                submitted_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC
            )
            query = query.where(Statement.submitted_at < end)
        rows = session.execute(query).all()
        if not rows:
            return
        for statement_id, reference, data, commitments, site_wards, regime, assessed_on in rows:
            placed = _COMMITMENTS.validate_json(commitments) if commitments else []
            wards = _WARDS.validate_json(site_wards) if site_wards else []
            regime_part = RegimeOut.model_validate_json(regime) if regime else None
            yield Case(
                statement_id=statement_id,
                reference=reference or "",
                # A stored version passed every check when it was submitted: the model is
                # enough to read it back (parse_statement's limits and reference checks
                # would only repeat them).
                statement=StatementModel.model_validate(data),
                placements=placements_from_record(placed),
                on=applied_on(regime_part, dt.date.fromisoformat(assessed_on)),
                site_wards=tuple((w.code, w.name) for w in wards),
            )
        after = rows[-1][0]
