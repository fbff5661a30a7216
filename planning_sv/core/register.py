"""A council's planning register: the shape of its application references and the address
of an application's page in its public register (`planning_register` in a rule pack's
plan.yaml; docs/RULES.md).

References stay as the applicant typed them (ECOSYSTEM.md A8: councils use many local
variants), so a reference that does not fit the council's shape is flagged for the
applicant to check, not refused, and gets no register link. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from planning_sv.core.errors import Problem

PLACEHOLDER = "{reference}"
MAX_REFERENCE = 200


@dataclass(frozen=True)
class PlanningRegister:
    """`reference_pattern` must match a whole reference (letters in any case);
    `url_template` is an https address with one `{reference}`, filled percent-encoded."""

    reference_pattern: str
    reference_example: str
    url_template: str
    name: str = "the council's planning register"

    def matches(self, reference: str | None) -> bool:
        text = (reference or "").strip()
        if not text or len(text) > MAX_REFERENCE:
            return False
        return re.fullmatch(self.reference_pattern, text, flags=re.IGNORECASE) is not None

    def url(self, reference: str | None) -> str | None:
        """The application's page in the register, or None when the reference does not fit
        the council's shape (so no link is ever built from text that is not a reference)."""
        if not self.matches(reference):
            return None
        return self.url_template.replace(PLACEHOLDER, quote((reference or "").strip(), safe=""))


def register_problems(spec: dict[str, Any], where: str) -> list[Problem]:
    """Why a plan.yaml `planning_register` entry is unusable (checked when packs load)."""
    problems: list[Problem] = []
    pattern = str(spec.get("reference_pattern") or "")
    example = str(spec.get("reference_example") or "")
    template = str(spec.get("url_template") or "")
    try:
        compiled = re.compile(pattern, flags=re.IGNORECASE)
    except re.error as exc:
        problems.append(Problem(f"{where}.reference_pattern", f"not a regular expression: {exc}"))
        compiled = None
    if compiled is not None and compiled.fullmatch(example) is None:
        problems.append(
            Problem(f"{where}.reference_example", f"'{example}' does not match reference_pattern")
        )
    parts = urlsplit(template)
    if parts.scheme != "https" or not parts.netloc:
        problems.append(Problem(f"{where}.url_template", "must be an https:// address"))
    if template.count(PLACEHOLDER) != 1 or template.replace(PLACEHOLDER, "").count("{"):
        problems.append(
            Problem(f"{where}.url_template", f"must contain {PLACEHOLDER} once and no other braces")
        )
    return problems


def reference_notice(
    register: PlanningRegister | None, reference: str | None, council_name: str
) -> str | None:
    """What to tell the applicant about a reference that does not fit the council's shape
    (None when it fits, when none is given, or when the council sets no shape)."""
    text = (reference or "").strip()
    if register is None or not text or register.matches(text):
        return None
    return (
        f"'{text}' does not have the shape of {council_name}'s application references "
        f"(like {register.reference_example}). Check it against the council's letter or "
        "register: the statement cannot link to the application until it matches."
    )
