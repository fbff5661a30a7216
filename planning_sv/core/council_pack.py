"""A new council's rule pack, written from the templates in `local_plans/_templates/`.

`planning-sv councils add` calls `new_pack()`: every English council starts with the
statutory definition of major development (`statutory.yaml`) and, in London, the London
Plan rules that apply in every borough (`london_plan.yaml`). The council's own rules are
added afterwards, by hand or by an admin (docs/RULES.md).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TEMPLATES = "_templates"
STATUTORY_TEMPLATE = "statutory.yaml"
LONDON_TEMPLATE = "london_plan.yaml"
PREFIX_MARK = "PREFIX"
# ONS codes: E09 London boroughs, E08 metropolitan districts, E06 unitary authorities,
# E07 non-metropolitan districts. Only English councils have these packs' statutory basis.
LAD_CODE = re.compile(r"^E0[6-9]\d{6}$")
COUNCIL_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,40}$")


class PackError(ValueError):
    """The council cannot be added as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class NewPack:
    code: str
    files: dict[str, str]  # path inside the pack folder -> text

    @property
    def london(self) -> bool:
        return "tests/london_plan.yaml" in self.files


def council_code_for(name: str) -> str:
    """A folder name for a council from its short name: 'Barking and Dagenham' -> 'barking_and_dagenham'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def rule_prefix(code: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", code.upper()).strip("-")


def is_london_borough(lad_code: str) -> bool:
    return lad_code.startswith("E09")


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=95)


def new_pack(
    plans_dir: Path,
    *,
    lad_code: str,
    name: str,
    code: str,
    existing: dict[str, str],
    today: dt.date,
) -> NewPack:
    """The files of a new pack; `existing` maps the LAD codes of packs already there to codes.

    Raises PackError for a code that is not an English council's, a council that already
    has a pack, or a folder name that is taken or unsafe.
    """
    if not LAD_CODE.match(lad_code):
        raise PackError(
            f"'{lad_code}' is not an English local authority code (E06, E07, E08 or E09 and six "
            "digits, e.g. E09000007)"
        )
    if lad_code in existing:
        raise PackError(f"{lad_code} already has a rule pack: local_plans/{existing[lad_code]}/")
    if not COUNCIL_CODE.match(code):
        raise PackError(
            f"--code '{code}': use lower-case letters, digits, '_' or '-' (2 to 41 characters)"
        )
    if (plans_dir / code).exists() or code in existing.values():
        raise PackError(f"local_plans/{code}/ already exists: choose another --code")
    templates = plans_dir / TEMPLATES
    statutory = yaml.safe_load((templates / STATUTORY_TEMPLATE).read_text(encoding="utf-8"))
    london = is_london_borough(lad_code)
    plan: dict[str, Any] = {
        "council": code,
        "name": name,
        "lad_code": lad_code,
        "boundary_vintage": "2025",
        "pack_version": f"{today.isoformat()}.1",
        "local": {"kind": "borough"},
        "description": (
            f"Created by `planning-sv councils add` on {today.isoformat()}: the statutory "
            "definition of major development"
            + (
                " and the London Plan 2021 rules that apply in every London borough"
                if london
                else ""
            )
            + ". Add the council's own Local Plan and SPD rules (docs/RULES.md)."
        ),
        "definitions": statutory["definitions"],
    }
    files = {
        "plan.yaml": _yaml(plan),
        "parameters.yaml": _yaml({"parameters": statutory["parameters"]}),
    }
    rules: list[Any] = []
    if london:
        text = (templates / LONDON_TEMPLATE).read_text(encoding="utf-8")
        text = text.replace(PREFIX_MARK + "-", rule_prefix(code) + "-")
        london_plan = yaml.safe_load(text)
        rules = london_plan["rules"]
        files["tests/london_plan.yaml"] = _yaml({"scenarios": london_plan["scenarios"]})
    files["rules.yaml"] = _yaml({"rules": rules})
    return NewPack(code=code, files=files)


def write_pack(plans_dir: Path, pack: NewPack) -> Path:
    """Write the pack's folder (which must not exist yet); returns it."""
    folder = plans_dir / pack.code
    folder.mkdir(parents=True)
    for relative, text in pack.files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
