"""The admin page for a draft rule pack's impact: upload, check, compare, map and tables."""

from __future__ import annotations

import copy
import io
import re
from typing import Any

from planning_sv.config import LOCAL_PLANS_DIR

TC_RULE = "ISL-B4-AFFORDABLE-WORKSPACE-TOWN-CENTRES-PELS"


def _parameters(threshold: int) -> bytes:
    text = (LOCAL_PLANS_DIR / "islington" / "parameters.yaml").read_text()
    old = "      - {from: 2023-09-28, value: 2500}\n"
    assert text.count(old) == 1
    return text.replace(old, f"      - {{from: 2023-09-28, value: {threshold}}}\n").encode()


def _seed(make_user: Any, make_statement: Any, example: dict[str, Any]) -> None:
    owner = make_user("applicant")
    for office in (8000, 8000, 9500):
        data = copy.deepcopy(example)
        data["site"]["designation"] = "town_centre"
        data["development"]["floorspace_sqm"]["office"] = office
        make_statement(owner, "islington", data, actions=("submit",))
    make_statement(owner, "islington", copy.deepcopy(example))  # a draft: never compared


def test_admin_sees_exactly_the_statements_a_raised_threshold_changes(
    login_as: Any, make_user: Any, make_statement: Any, islington_example: Any
) -> None:
    _seed(make_user, make_statement, islington_example)
    admin = login_as("admin")
    page = admin.get("/admin/councils/islington/impact")
    assert page.status_code == 200
    result = admin.post(
        "/admin/councils/islington/impact",
        data={"parameters": (io.BytesIO(_parameters(9000)), "parameters.yaml")},
        content_type="multipart/form-data",
    )
    html = result.get_data(as_text=True)
    assert result.status_code == 200, html
    # 8,000 sqm of office is under a 9,000 sqm threshold (two statements); 9,500 is not.
    assert "3 statements assessed again; 2 change." in html
    assert re.search(rf'data-rule="{TC_RULE}">2<', html)
    changes = html.split('id="impact-changes"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', changes)
    # Per row: rule title, verdict now, under the draft (the reference cell holds a link).
    assert [c for c in cells if c in ("Met", "Not applicable")] == ["Met", "Not applicable"] * 2
    # The map and the table beside it carry the same figure for the site's ward (Holloway).
    assert re.search(r'data-ward="E05013706">2<', html)
    assert '"value": 2.0' in html or '"value":2.0' in html
    assert "Contains National Statistics and OS data" in html


def test_a_faulty_draft_is_refused_naming_the_place(login_as: Any) -> None:
    admin = login_as("admin")
    bad = _parameters(2500).replace(b"value: 2500", b"value: [2500")
    result = admin.post(
        "/admin/councils/islington/impact",
        data={"parameters": (io.BytesIO(bad), "parameters.yaml")},
        content_type="multipart/form-data",
    )
    assert result.status_code == 400
    assert "The draft pack: islington/parameters.yaml: not valid YAML" in result.get_data(
        as_text=True
    )


def test_no_file_is_a_clear_error(login_as: Any) -> None:
    result = login_as("admin").post("/admin/councils/islington/impact", data={})
    assert result.status_code == 400
    assert "Choose at least one file of the draft pack" in result.get_data(as_text=True)


def test_only_admins_see_it(login_as: Any) -> None:
    assert (
        login_as("officer", "islington").get("/admin/councils/islington/impact").status_code == 403
    )
    assert login_as("applicant").get("/admin/councils/islington/impact").status_code == 403
