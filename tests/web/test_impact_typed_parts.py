"""`store/impact.impact_cases` reads only the parts of each stored record it needs, as their
assessment@1 models straight from the JSON text (`as_string` extraction): on both database
lanes they must give exactly what the whole typed record (`Assessment.record`) says.

Hand-worked from tests/fixtures/islington_mixed_use.json: the site polygon lies in Holloway
(E05013706); c2 is placed by ward in Holloway, c6 by ward in Tollington (E05013712); c3 is
borough-wide; no validation date is given, so the rules applied on the assessment date.
"""

from __future__ import annotations

import datetime as dt
import json

from planning_sv.store import statements as repo
from planning_sv.store.db import Database
from planning_sv.store.impact import impact_cases
from planning_sv.store.models import Statement
from planning_sv.store.users import create_user
from tests.conftest import EXAMPLES, shared_assessor


def test_cases_read_the_typed_parts_the_record_holds(db_url: str) -> None:
    data = json.loads((EXAMPLES / "islington_mixed_use.json").read_text())
    database = Database(db_url, assessor=shared_assessor())
    with database.session() as session:
        owner = create_user(session, "owner@example.org", "a long enough password 1")
        statement = repo.create_statement(
            session, owner, "islington", data, assessor=shared_assessor()
        )
        repo.submit(session, statement, owner, assessor=shared_assessor())
        session.commit()
        statement_id = statement.id

    with database.session() as session:
        (case,) = list(impact_cases(session, "islington"))
        assert list(impact_cases(session, "salford")) == []
        stored = session.get(Statement, statement_id)
        assert stored is not None and stored.latest_version is not None
        assessment = stored.latest_version.assessment
        assert assessment is not None
        record = assessment.record

    assert case.statement_id == statement_id
    assert case.reference == data["application_reference"]
    assert case.site_wards == (("E05013706", "Holloway"),)
    assert record.regime is not None and record.regime.basis == "assessment_date"
    assert case.on == record.assessed_on == record.applied_on
    assert isinstance(case.on, dt.date)
    assert sorted(case.placements) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert [(w.code, w.share) for w in case.placements["c2"].wards] == [("E05013706", 1.0)]
    assert [(w.code, w.share) for w in case.placements["c6"].wards] == [("E05013712", 1.0)]
    assert case.placements["c3"].method == "borough"
    # Every placement as the whole typed record has it.
    for commitment in record.commitments:
        placed = case.placements[commitment.id]
        assert placed.method == (commitment.method or "recorded")
        assert [(w.code, w.name, w.share) for w in placed.wards] == [
            (w.code, w.name, w.share) for w in commitment.wards
        ]
        assert placed.local == commitment.local
        assert placed.local_reason == commitment.local_reason
    database.dispose()
