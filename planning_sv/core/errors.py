"""Problems found in user input, each tied to the JSON path of the field at fault."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, e.g. path `$.commitments[2].quantity`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class InputInvalid(ValueError):
    """Raised with every problem found, so a user can fix them all in one go."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid input")


def json_path(location: Sequence[str | int]) -> str:
    """Render a pydantic/loc-style tuple as a JSON path: ('a', 0, 'b') -> '$.a[0].b'."""
    out = "$"
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
