"""Keyset pagination: a page starts after (or ends before) the last row seen, by its sort key
and id, so page 1,000 costs what page 1 does and rows inserted meanwhile never shift a page.

A cursor is opaque to clients: the sort it belongs to and the boundary row's key values,
signed with the app's secret (itsdangerous) so a client cannot forge values, and checked on
reading anyway. A malformed, tampered or stale cursor raises `CursorInvalid`, which the web
layer answers with a 400 naming the parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Date, DateTime, Integer, literal, tuple_
from sqlalchemy.orm import InstrumentedAttribute

SALT = "planning-sv.keyset-cursor"
MAX_CURSOR_LENGTH = 1000  # far above a real cursor (a few keys); refuses junk before decoding


class CursorInvalid(ValueError):
    """A cursor that is not one this server issued for this list and sort."""

    def __init__(self, parameter: str = "cursor") -> None:
        super().__init__(
            "this page link is not valid or is out of date; start again from the first page"
        )
        self.parameter = parameter


@dataclass(frozen=True)
class Cursor:
    """The boundary row of a page: `forward` pages after it, else before it."""

    values: tuple[Any, ...]  # the sort key's values, id last
    forward: bool = True


@dataclass(frozen=True)
class Keyset:
    """A sort order over `columns` (the last one unique, normally the id), for one list."""

    name: str  # which list and sort a cursor belongs to, e.g. "queue:submitted:desc"
    columns: tuple[InstrumentedAttribute[Any], ...]
    descending: bool
    # The row attributes holding each column's value, when the rows are not the columns'
    # own class (the queue's ward filter orders statements by their site-ward rows' copy of
    # the key); empty: each column's own name.
    keys: tuple[str, ...] = ()

    def order_by(self, cursor: Cursor | None) -> list[Any]:
        # Paging backwards reads the rows before the boundary nearest first, reversed after.
        reverse = cursor is not None and not cursor.forward
        descending = self.descending != reverse
        return [c.desc() if descending else c.asc() for c in self.columns]

    def condition(self, cursor: Cursor) -> Any:
        """Rows strictly after (forward) or before the boundary in this order: one row-value
        comparison, which both databases answer from an index on these columns."""
        # Forward in descending order, or backward in ascending order: smaller keys.
        smaller = self.descending == cursor.forward
        left = tuple_(*self.columns)
        # Each value bound as its column's type, so a time is written as the column stores it.
        right = tuple_(
            *(literal(v, c.type) for c, v in zip(self.columns, cursor.values, strict=True))
        )
        return left < right if smaller else left > right

    def key_of(self, row: Any) -> tuple[Any, ...]:
        """The row's sort key; times as UTC with their zone, comparable whichever way they
        came (SQLite reads them back naive, objects made in this session carry the zone)."""
        names = self.keys or tuple(c.key for c in self.columns)
        return tuple(_utc(getattr(row, name)) for name in names)

    def page(
        self, rows: Sequence[Any], per_page: int, cursor: Cursor | None
    ) -> tuple[list[Any], Cursor | None, Cursor | None]:
        """`rows` fetched with `order_by(cursor)` and limit per_page + 1 -> (the page in
        display order, cursor of the next page or None, cursor of the previous or None)."""
        more = len(rows) > per_page
        page = list(rows[:per_page])
        if cursor is not None and not cursor.forward:
            page.reverse()
            has_next, has_previous = True, more
        else:
            has_next, has_previous = more, cursor is not None
        if not page:
            return page, None, None
        following = Cursor(self.key_of(page[-1]), forward=True) if has_next else None
        preceding = Cursor(self.key_of(page[0]), forward=False) if has_previous else None
        return page, following, preceding


class CursorCodec:
    """Cursors as signed, URL-safe text (itsdangerous, keyed by the app's SECRET_KEY)."""

    def __init__(self, secret: str | bytes) -> None:
        self._serializer = URLSafeSerializer(secret, salt=SALT)

    def dumps(self, keyset: Keyset, cursor: Cursor) -> str:
        # Times and dates (a date-only sort such as the queue's target date) as ISO text.
        values = [v.isoformat() if isinstance(v, dt.date) else v for v in cursor.values]
        return str(self._serializer.dumps([keyset.name, int(cursor.forward), values]))

    def loads(self, keyset: Keyset, text: str, parameter: str = "cursor") -> Cursor:
        """The cursor in `text`, checked against `keyset`; CursorInvalid otherwise."""
        if not text or len(text) > MAX_CURSOR_LENGTH:
            raise CursorInvalid(parameter)
        try:
            name, forward, raw = self._serializer.loads(text)
        except (BadData, TypeError, ValueError):
            raise CursorInvalid(parameter) from None
        # A cursor of another list or sort (a link kept across a change of sort) is stale.
        if name != keyset.name or forward not in (0, 1) or not isinstance(raw, list):
            raise CursorInvalid(parameter)
        if len(raw) != len(keyset.columns):
            raise CursorInvalid(parameter)
        return Cursor(
            tuple(_typed(c, v, parameter) for c, v in zip(keyset.columns, raw, strict=True)),
            forward=bool(forward),
        )


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return value


def _typed(column: InstrumentedAttribute[Any], value: Any, parameter: str) -> Any:
    """A cursor value as its column's type; signed values are ours, but checked anyway."""
    kind = column.property.columns[0].type
    if isinstance(kind, DateTime):
        if not isinstance(value, str):
            raise CursorInvalid(parameter)
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise CursorInvalid(parameter) from None
        # SQLite hands stored times back naive; they are UTC like every stored time.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if isinstance(kind, Date):
        if not isinstance(value, str):
            raise CursorInvalid(parameter)
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CursorInvalid(parameter) from None
    if isinstance(kind, Integer):
        if not isinstance(value, int) or isinstance(value, bool):
            raise CursorInvalid(parameter)
        return value
    if not isinstance(value, str):
        raise CursorInvalid(parameter)
    return value
