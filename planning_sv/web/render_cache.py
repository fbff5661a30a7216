"""Per-app caches that keep the officer's review page cheap under load (issue 11).

Two bounded, thread-safe LRUs hang on the app's services (`web.Services`), never on the
module, so two apps in one process share nothing:

* `RecordCache`: the typed record (core/assessment.py) parsed from an assessment row, by the
  row's id and creation time. Assessment rows are only ever inserted (a draft's self-check is
  replaced by a new row), never updated, so a row's id and creation time name its data.
* `FragmentCache`: rendered HTML fragments by a key naming everything they draw. The caller
  builds the key from every input of the fragment (record, verdicts, notes, officers' names,
  form state, the template itself), so any change is a new key: an entry is never stale, it
  is simply no longer asked for, and the LRU drops it.

A fragment holds nothing of one request or user. Forms in it are rendered with a random
placeholder instead of the CSRF token (a 128-bit string no page contains otherwise), swapped
for the request's own token on every use, the way `web/page_cache.py` swaps the CSP nonce;
fragments contain no scripts, so no nonce. See docs/ARCHITECTURE.md ("Public pages under
load") and docs/SECURITY.md.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from markupsafe import Markup, escape

from planning_sv.core.assessment import AssessmentRecord, parse_assessment

# Cut points between the parts of one rendered fragment template: a "<" never comes out of
# escaped data, so user text cannot forge one.
PART_MARK = "<!--part:"


class RecordCache:
    """Parsed assessment records by (row id, created_at); at most `limit` records.

    Each record also notes the statement version it belongs to, so a reader can tell
    before loading the row whether it will need the stored JSON at all (`has_version`):
    a version seen before is read without it, a new one with it, one query either way.
    """

    def __init__(self, limit: int = 64) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._records: OrderedDict[Hashable, tuple[AssessmentRecord, int | None]] = OrderedDict()
        self._versions: dict[int, Hashable] = {}

    def has_version(self, version_id: int) -> bool:
        """Whether a record of this version is kept (a hint: `get` decides by the key)."""
        with self._lock:
            return version_id in self._versions

    def get(
        self, key: Hashable, data: Callable[[], Any], *, version_id: int | None = None
    ) -> AssessmentRecord:
        """The record under `key`, else parsed from `data()` and kept. Records are shared
        by every request of the worker: readers read them, never change them."""
        with self._lock:
            found = self._records.get(key)
            if found is not None:
                self._records.move_to_end(key)
                return found[0]
        record = parse_assessment(data())
        with self._lock:
            self._records[key] = (record, version_id)
            if version_id is not None:
                self._versions[version_id] = key
            while len(self._records) > self._limit:
                dropped, (_record, dropped_version) = self._records.popitem(last=False)
                if dropped_version is not None and self._versions.get(dropped_version) == dropped:
                    del self._versions[dropped_version]
        return record

    def __len__(self) -> int:
        return len(self._records)


class FragmentCache:
    """Rendered fragments (named parts of HTML) by key; at most `max_bytes` of text."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024) -> None:
        self._lock = threading.Lock()
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, dict[str, str]] = OrderedDict()
        self._bytes = 0
        # Stands for the CSRF token while a fragment is rendered (random per app).
        self.placeholder = secrets.token_hex(16)
        self.hits = 0
        self.misses = 0

    def parts(
        self,
        key: Hashable | None,
        render: Callable[[Callable[[], str]], str],
        csrf_token: Callable[[], str],
    ) -> dict[str, Markup]:
        """The named parts of a fragment, each with the request's CSRF token.

        `render(token)` renders the fragment's template with `token` as its `csrf_token`
        function and returns its text, parts marked `<!--part:NAME-->`. With `key` None
        (a form shown again with what the officer typed and its errors) it is rendered for
        this request alone and not kept.
        """
        if key is None:
            return {name: Markup(text) for name, text in split_parts(render(csrf_token)).items()}  # noqa: S704 - rendered by autoescaping Jinja
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
            else:
                self.misses += 1
        if found is None:
            placeholder = self.placeholder
            found = split_parts(render(lambda: placeholder))
            self._put(key, found)
        token = str(escape(csrf_token()))
        # str.replace, not Markup.replace (which would escape the token again); the parts
        # were rendered by autoescaping Jinja, so they stay markup.
        return {
            name: Markup(text.replace(self.placeholder, token))  # noqa: S704
            for name, text in found.items()
        }

    def _put(self, key: Hashable, parts: Mapping[str, str]) -> None:
        size = sum(len(text) for text in parts.values())
        if size > self.max_bytes // 4:
            return  # one fragment may not push out the rest
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= sum(len(text) for text in old.values())
            self._items[key] = dict(parts)
            self._bytes += size
            while self._bytes > self.max_bytes and self._items:
                _key, dropped = self._items.popitem(last=False)
                self._bytes -= sum(len(text) for text in dropped.values())

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


def split_parts(text: str) -> dict[str, str]:
    """`<!--part:a-->\nx\n<!--part:b-->\ny\n<!--part:end-->` -> {"a": "x", "b": "y"}.

    Text before the first mark is whitespace between template tags and is dropped; the
    closing `end` mark keeps the last part's final newline (Jinja drops a template's last).
    """
    parts: dict[str, str] = {}
    for chunk in text.split(PART_MARK)[1:]:
        name, _, body = chunk.partition("-->")
        if name == "end":
            break
        # The newlines of the mark's own line: the page places each part on a line of its own.
        parts[name] = body.removeprefix("\n").removesuffix("\n")
    return parts
