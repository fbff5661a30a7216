"""Read an Open Digital Planning application document (the JSON PlanX sends to back-office
systems) into what a new statement can start from: the application reference, site address
and postcode, site boundary and point, and the application type.

Shape, from theopensystemslab/digital-planning-data-schemas (schemas/application.json and
its examples, e.g. examples/application/planningPermission/major.json; docs ECOSYSTEM.md):

- `application` documents (what PlanX submits): `data.application.type` {value, description}
  (e.g. "pp.full.major"), `data.property.address` (an OS address with `singleLine`,
  `postcode`, `latitude`, `longitude`, `uprn`, or a proposed one with `title` only),
  `data.proposal.boundary.site` (the applicant's red line: a GeoJSON Feature whose geometry
  is a Polygon or MultiPolygon) and `data.property.boundary.site` (the HM Land Registry title
  boundary, used when the proposal has none), `metadata.organisation` (the council's
  planning.data.gov.uk code, e.g. "ISL"), `metadata.id` (the PlanX session).
  The application schema carries no council reference: the council gives it on validation.
- `postSubmissionApplication` documents (after the council has the application): top-level
  `applicationType`, `data.application.reference` (the council's reference), and the
  original application under `submission` (read as above).

Every refusal is an InputInvalid whose problems name the document's field as a JSON path
(`$.data.property.address`), never a stack trace. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.limits import geometry_coordinate_problem

MAX_TEXT = 200
# ODP application type codes: dotted lower camel words, e.g. pp.full.major, ldc.proposed,
# pa.part1.classA (schemas/application.json `ApplicationType`).
APPLICATION_TYPE = re.compile(r"^[a-z][A-Za-z0-9]*(\.[A-Za-z0-9]+){0,5}$")
BOUNDARY_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class OdpApplication:
    """What a statement takes from an ODP document (None: the document does not say)."""

    application_type: str  # e.g. "pp.full.major"
    application_type_label: str | None  # e.g. "Planning Permission - Major application"
    address: str | None
    postcode: str | None
    boundary: dict[str, Any] | None  # GeoJSON geometry (Polygon | MultiPolygon), lon/lat
    point: list[float] | None  # [longitude, latitude] of the address
    reference: str | None  # the council's reference (post-submission documents only)
    organisation: str | None  # metadata.organisation, e.g. "ISL"
    source_id: str | None  # metadata.id (the PlanX session)
    description: str | None  # data.proposal.description

    def statement_fields(self) -> dict[str, Any]:
        """statement@1 fields pre-filled from the document (a draft's starting point)."""
        site: dict[str, Any] = {}
        if self.address:
            site["address"] = self.address
        if self.postcode:
            site["postcode"] = self.postcode
        if self.boundary is not None:
            site["geometry"] = self.boundary
        elif self.point is not None and not self.postcode:
            site["point"] = self.point
        out: dict[str, Any] = {"application_type": self.application_type, "site": site}
        if self.reference:
            out["application_reference"] = self.reference
        return out


def _at(document: Any, path: tuple[str, ...]) -> Any:
    node = document
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _path(base: str, *keys: str) -> str:
    return base + "".join(f".{k}" for k in keys)


def _text(value: Any, path: str, problems: list[Problem], *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(Problem(path, "is missing"))
        return None
    if not isinstance(value, str):
        problems.append(Problem(path, "must be text"))
        return None
    text = " ".join(value.split())
    if len(text) > MAX_TEXT:
        problems.append(Problem(path, f"must be at most {MAX_TEXT} characters"))
        return None
    return text


def _boundary(feature: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    """The geometry of a boundary's `site` (a GeoJSON Feature, or a bare geometry)."""
    if feature is None:
        return None
    if not isinstance(feature, dict):
        problems.append(Problem(path, "must be a GeoJSON Feature"))
        return None
    geometry, where = feature, path
    if feature.get("type") == "Feature":
        geometry, where = feature.get("geometry"), f"{path}.geometry"
    if not isinstance(geometry, dict):
        problems.append(Problem(where, "must be a GeoJSON geometry"))
        return None
    kind = geometry.get("type")
    if kind not in BOUNDARY_TYPES:
        problems.append(
            Problem(f"{where}.type", f"must be Polygon or MultiPolygon (got {str(kind)[:40]!r})")
        )
        return None
    shape = geometry_coordinate_problem(kind, geometry.get("coordinates"))
    if shape:
        problems.append(Problem(f"{where}.coordinates", shape))
        return None
    return {"type": kind, "coordinates": geometry["coordinates"]}


def _point(address: dict[str, Any], path: str, problems: list[Problem]) -> list[float] | None:
    lon, lat = address.get("longitude"), address.get("latitude")
    if lon is None and lat is None:
        return None
    for name, value, low, high in (("longitude", lon, -180, 180), ("latitude", lat, -90, 90)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not low <= value <= high
        ):
            problems.append(Problem(f"{path}.{name}", f"must be a number from {low} to {high}"))
            return None
    return [float(lon), float(lat)]


def read_odp(document: Any) -> OdpApplication:
    """The statement's starting point from an ODP application (or post-submission
    application) document; InputInvalid naming each field at fault."""
    if not isinstance(document, dict):
        raise InputInvalid([Problem("$", "must be a JSON object (an ODP application document)")])
    problems: list[Problem] = []
    base = "$"
    application = document
    reference: str | None = None
    post_type = None
    if isinstance(document.get("submission"), dict) and "data" in document.get("submission", {}):
        # A post-submission document: the council's reference here, the application inside.
        reference = _text(
            _at(document, ("data", "application", "reference")),
            "$.data.application.reference",
            problems,
        )
        post_type = document.get("applicationType")
        application, base = document["submission"], "$.submission"
    data = application.get("data")
    if not isinstance(data, dict):
        problems.append(
            Problem(_path(base, "data"), "is missing: this is not an ODP application document")
        )
        raise InputInvalid(problems)

    kind = _at(data, ("application", "type"))
    type_path = _path(base, "data", "application", "type")
    label = None
    if isinstance(kind, dict):
        label = _text(kind.get("description"), f"{type_path}.description", problems)
        kind, type_path = kind.get("value"), f"{type_path}.value"
    if kind is None:
        kind = post_type or application.get("applicationType")
    type_code = _text(kind, type_path, problems, required=True)
    if type_code is not None and not APPLICATION_TYPE.fullmatch(type_code):
        problems.append(Problem(type_path, f"'{type_code[:40]}' is not an ODP application type"))
        type_code = None

    prop = data.get("property")
    prop_path = _path(base, "data", "property")
    address_text = postcode = None
    point = None
    if not isinstance(prop, dict):
        problems.append(Problem(prop_path, "is missing: the site's address and boundary"))
    else:
        address = prop.get("address")
        address_path = f"{prop_path}.address"
        if not isinstance(address, dict):
            problems.append(Problem(address_path, "is missing or not an object"))
        else:
            address_text = _text(
                address.get("singleLine") or address.get("title"),
                f"{address_path}.singleLine"
                if address.get("singleLine")
                else f"{address_path}.title",
                problems,
                required=True,
            )
            postcode = _text(address.get("postcode"), f"{address_path}.postcode", problems)
            point = _point(address, address_path, problems)

    before = len(problems)
    boundary = _boundary(
        _at(data, ("proposal", "boundary", "site")),
        _path(base, "data", "proposal", "boundary", "site"),
        problems,
    )
    if boundary is None and isinstance(prop, dict):
        boundary = _boundary(
            _at(prop, ("boundary", "site")), f"{prop_path}.boundary.site", problems
        )
    located = boundary is not None or point is not None or bool(postcode)
    if not located and len(problems) == before and isinstance(prop, dict):
        problems.append(
            Problem(
                _path(base, "data", "proposal", "boundary", "site"),
                "the document gives no site boundary, coordinates or postcode",
            )
        )

    metadata = application.get("metadata") if isinstance(application.get("metadata"), dict) else {}
    meta_path = _path(base, "metadata")
    organisation = _text(metadata.get("organisation"), f"{meta_path}.organisation", problems)
    source_id = _text(metadata.get("id"), f"{meta_path}.id", problems)
    description = _at(data, ("proposal", "description"))
    description = description.strip()[:5000] if isinstance(description, str) else None
    if problems:
        raise InputInvalid(problems)
    assert type_code is not None
    return OdpApplication(
        application_type=type_code,
        application_type_label=label,
        address=address_text,
        postcode=postcode,
        boundary=boundary,
        point=point,
        reference=reference,
        organisation=organisation,
        source_id=source_id,
        description=description or None,
    )


def organisation_problem(
    application: OdpApplication, council_curie: str | None, council_name: str
) -> Problem | None:
    """The document is for another council: its `metadata.organisation` (e.g. "BKM") is not
    this council's planning.data.gov.uk code (the end of `local-authority:ISL`)."""
    if not application.organisation or not council_curie:
        return None
    code = council_curie.rsplit(":", 1)[-1]
    if application.organisation.upper() == code.upper():
        return None
    return Problem(
        "$.metadata.organisation",
        f"the application is for the council coded {application.organisation}, not "
        f"{council_name} ({code})",
    )
