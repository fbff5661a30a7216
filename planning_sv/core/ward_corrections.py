"""An officer's correction of the ward a commitment was placed in, applied to the record.

Placement is geometry: a point 5 m over a ward line lands in the neighbouring ward. An
officer who knows better records the right ward with a reason (store/review.py keeps the
correction and its audit event). The stored assessment@1 record is never changed; every
reader that must follow the correction (the review page, the heads of terms, the public
figures on approval) reads `apply_ward_corrections(record, corrections)` instead.

A corrected commitment lies wholly in the chosen ward: share 1, method "officer" (not a
point method, so the original point, which is in the wrong ward, is not drawn on maps), and
its £ moves with it in the valuer's ward split and the ward totals. Whether it counts as
local is left as placed: the correction moves it within the council's area.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from planning_sv.core.assessment import (
    AssessmentRecord,
    CommitmentOut,
    CommitmentValueOut,
    SocialValueOut,
    WardShareOut,
    WardTotalOut,
    WardValueOut,
)

CORRECTED_METHOD = "officer"


@dataclass(frozen=True)
class WardCorrection:
    commitment_id: str
    ward_code: str
    ward_name: str
    reason: str


def _round(value: float) -> float:
    return round(value, 2)


def _move_totals(
    by_ward: list[WardTotalOut], valued: CommitmentValueOut, to: WardCorrection
) -> list[WardTotalOut]:
    """The ward totals with this commitment's £ taken out of its old wards and put in `to`."""
    totals = {w.code: w.model_copy() for w in by_ward}
    for part in valued.wards:
        entry = totals.get(part.code)
        if entry is None or part.gbp is None:
            continue
        entry.gbp = _round((entry.gbp or 0.0) - part.gbp)
        if valued.borough_wide and entry.borough_wide_gbp is not None:
            entry.borough_wide_gbp = _round(entry.borough_wide_gbp - part.gbp)
    if valued.gbp is not None:
        entry = totals.setdefault(
            to.ward_code,
            WardTotalOut(code=to.ward_code, name=to.ward_name, gbp=0.0, borough_wide_gbp=0.0),
        )
        entry.gbp = _round((entry.gbp or 0.0) + valued.gbp)
    kept = [w for w in totals.values() if (w.gbp or 0.0) > 0.005 or w.code == to.ward_code]
    return sorted(kept, key=lambda w: (-(w.gbp or 0.0), w.name))


def apply_ward_corrections(
    record: AssessmentRecord, corrections: Iterable[WardCorrection]
) -> AssessmentRecord:
    """A copy of `record` with each corrected commitment wholly in its corrected ward.

    Corrections naming a commitment the record does not have are ignored (they belong to
    another version). The latest correction of a commitment wins.
    """
    latest = {c.commitment_id: c for c in corrections}
    ids = {c.id for c in record.commitments}
    latest = {key: value for key, value in latest.items() if key in ids}
    if not latest:
        return record
    commitments: list[CommitmentOut] = []
    for commitment in record.commitments:
        fix = latest.get(commitment.id)
        if fix is None:
            commitments.append(commitment)
            continue
        commitments.append(
            commitment.model_copy(
                update={
                    "wards": [WardShareOut(code=fix.ward_code, name=fix.ward_name, share=1.0)],
                    "method": CORRECTED_METHOD,
                }
            )
        )
    social: SocialValueOut | None = record.social_value
    if social is not None:
        by_ward = list(social.by_ward)
        valued_list: list[CommitmentValueOut] = []
        unplaced = social.unplaced_gbp
        for valued in social.commitments:
            fix = latest.get(valued.id)
            if fix is None:
                valued_list.append(valued)
                continue
            by_ward = _move_totals(by_ward, valued, fix)
            if not valued.wards and valued.gbp is not None:
                unplaced = _round(unplaced - valued.gbp)
            valued_list.append(
                valued.model_copy(
                    update={
                        "wards": [
                            WardValueOut(
                                code=fix.ward_code, name=fix.ward_name, share=1.0, gbp=valued.gbp
                            )
                        ],
                        "borough_wide": False,
                    }
                )
            )
        social = social.model_copy(
            update={"commitments": valued_list, "by_ward": by_ward, "unplaced_gbp": unplaced}
        )
    return record.model_copy(update={"commitments": commitments, "social_value": social})
