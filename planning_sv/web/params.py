"""Numbers from URLs, query strings and forms, parsed one way (core/limits.py).

- `<int:...>` in every route is `IdConverter`: ASCII digits only, at most 2^31-1 (our
  INTEGER columns), so `/statements/18446744073709551616` is a 404, not a database
  overflow (500).
- `int_arg` / `page_arg` / `form_int` read query parameters and form fields with explicit
  ranges and name the field in the message when a value is refused.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter, Map, ValidationError

from planning_sv.core.errors import InputInvalid, Problem
from planning_sv.core.limits import MAX_ID, parse_whole_number

# Pages of a list: far beyond any real list, and page * per_page stays a 64-bit offset.
MAX_PAGE = 1_000_000


def digits_at_most(limit: int) -> str:
    """A regex matching exactly the ASCII decimals 0..limit (leading zeros allowed).

    The bound lives in the regex, not only in to_python: werkzeug decides 404 or 405 from
    which rules' patterns match, so a pattern that matched 2^63 on a GET-only rule would turn
    a PUT to /statements/9223372036854775808 into "405, use GET"."""
    text = str(limit)
    shorter = f"[0-9]{{1,{len(text) - 1}}}" if len(text) > 1 else None
    same_length = [
        text[:i]
        + f"[0-{int(digit) - 1}]"
        + (f"[0-9]{{{len(text) - i - 1}}}" if i < len(text) - 1 else "")
        for i, digit in enumerate(text)
        if digit != "0"
    ] + [text]
    options = ([shorter] if shorter else []) + same_length
    return "0*(?:" + "|".join(options) + ")"


class IdConverter(IntegerConverter):
    """`<int:name>` for database ids and version numbers (registered as "int").

    Werkzeug's own converter matches `\\d+`, which includes non-ASCII digits, and has no
    upper bound (2^64 reached the database as an overflow, a 500). This one matches only
    0..MAX_ID in ASCII, so anything else is simply not a route: 404."""

    regex = digits_at_most(MAX_ID)

    def __init__(self, map: Map, *args: object, **kwargs: object) -> None:
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]
        self.max = MAX_ID if self.max is None else min(int(self.max), MAX_ID)

    def to_python(self, value: str) -> int:
        try:
            return parse_whole_number(
                value, minimum=self.min if self.min is not None else 0, maximum=self.max
            )
        except ValueError:
            raise ValidationError() from None


def init_app(app: Flask) -> None:
    """Replace the `int` converter; must run before any blueprint adds its rules."""
    app.url_map.converters["int"] = IdConverter


def parse_int(
    raw: str | None,
    name: str,
    *,
    default: int | None = None,
    minimum: int = 0,
    maximum: int = MAX_ID,
) -> int | None:
    """`raw` (a query parameter or form value) as an int in range; `default` when missing
    or blank; InputInvalid naming `name` when it is not a whole number in range."""
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse_whole_number(raw.strip(), minimum=minimum, maximum=maximum)
    except ValueError as exc:
        raise InputInvalid([Problem(name, str(exc))]) from None


def int_arg(
    name: str,
    default: int,
    problems: list[Problem],
    *,
    minimum: int = 0,
    maximum: int = MAX_ID,
) -> int:
    """A query parameter as an int; a refused value adds a Problem and gives `default`."""
    try:
        value = parse_int(
            request.args.get(name), name, default=default, minimum=minimum, maximum=maximum
        )
    except InputInvalid as exc:
        problems.extend(exc.problems)
        return default
    return default if value is None else value


def page_arg(name: str = "page") -> int:
    """The page number of an HTML list (default 1); a bad value is a 400 naming `name`."""
    problems: list[Problem] = []
    page = int_arg(name, 1, problems, minimum=1, maximum=MAX_PAGE)
    if problems:
        abort(400, description=f"Invalid query parameter '{name}': {problems[0].message}")
    return page


def form_int(name: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """A form field as an int in range, or None when blank or refused (the caller reports
    a missing value as it would an empty one)."""
    try:
        return parse_int(request.form.get(name), name, minimum=minimum, maximum=maximum)
    except InputInvalid:
        return None
