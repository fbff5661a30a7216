"""Public pages cheap under load: rendered once per figures version, revalidated by ETag.

A public page depends on the council's public rows, which change only in the transaction of
a decision (approval, withdrawal, a rebuild), and that transaction raises the council's
figures version (`store.figures.bump`, a row in the database). So:

* **ETag.** A visitor's GET carries `ETag: W/"<hash of version, deploy, URL>"` and
  `Cache-Control: no-cache`; a repeat with `If-None-Match` is answered 304 after reading one
  row, without rendering (downloads too: nothing is streamed).
* **Rendered pages.** `@public_page` keeps each rendered HTML body in a bounded per-process
  LRU keyed by (URL, version). Every worker reads the version from the database on every
  request, so an approval committed by any process is seen by all at once: the new version
  misses the cache and the page is rendered from the new rows.

Only requests that are the same for everyone share a response: a GET with no cookie and no
Authorization header. A signed-in user's page (navigation, CSRF token, flashed messages)
is always rendered for them and never stored.

The version is read before the rows the page reads, so a page rendered while an approval
commits is at least as new as its key says (a later request gets the newer version).

CSP: each response still gets its own script nonce. A stored body is kept with the random
nonce it was rendered with, which is swapped for the request's nonce on a hit (a 128-bit
random string occurs nowhere else in the page). A 304 sends no CSP header, so the browser
keeps the header it stored with the body, whose nonce matches.

Settings: `PUBLIC_PAGE_CACHE_BYTES` (default 32 MiB per process; 0 turns storing off, ETags
stay).
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue

from planning_sv.store import figures

DEFAULT_BYTES = 32 * 1024 * 1024
EXTENSION = "planning_sv.public_pages"


class PageStore:
    """A bounded LRU of rendered bodies (bytes), safe across a worker's threads."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[Any, ...], tuple[bytes, str, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> tuple[bytes, str, str] | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: tuple[Any, ...], body: bytes, nonce: str, mimetype: str) -> None:
        if len(body) > self.max_bytes // 4:
            return  # one page may not push out the rest
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._items[key] = (body, nonce, mimetype)
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._items:
                _key, (dropped, _n, _m) = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._items)


def store(app: Flask) -> PageStore | None:
    """The app's page store (made on first use; None when storing is off)."""
    if EXTENSION not in app.extensions:
        size = int(app.config.get("PUBLIC_PAGE_CACHE_BYTES", DEFAULT_BYTES))
        app.extensions[EXTENSION] = PageStore(size) if size > 0 else None
    return app.extensions[EXTENSION]


@functools.cache
def _deploy_tag(package: str) -> str:
    """What the code and templates are (their paths, sizes and times), so a new release
    never answers 304 to a page the old one rendered; the same for every worker of a
    deploy."""
    digest = hashlib.sha256()
    root = Path(package)
    for folder in (root, root.parent / "templates"):
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".py", ".html", ".yaml", ".json") and path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def shared_request() -> bool:
    """A request whose answer is the same for everyone: a GET with no cookie (no session,
    no flashed message, not signed in) and no Authorization header."""
    return (
        request.method in ("GET", "HEAD")
        and not request.cookies
        and "Authorization" not in request.headers
    )


def _etag(council: str, version: int) -> str:
    from planning_sv import __file__ as package_init

    key = f"{_deploy_tag(str(Path(package_init).parent))}|{council}|{version}|{request.host}|"
    key += request.full_path
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def public_page(*, keep: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a public view taking `council`: ETag / 304 for shared requests, and (with
    `keep`, for HTML pages) the rendered body stored per figures version."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            if not shared_request():
                return view(*args, **kwargs)
            from planning_sv.web import csp_nonce, db_session

            council = str(kwargs.get("council", ""))
            version = figures.version(db_session(), council)  # before any row is read
            tag = _etag(council, version)
            if request.if_none_match.contains_weak(tag):
                return _headers(Response(status=304), tag)
            pages = store(current_app) if keep else None
            key = (tag,)
            if pages is not None:
                found = pages.get(key)
                if found is not None:
                    body, nonce, mimetype = found
                    fresh = csp_nonce()
                    response = Response(body.replace(nonce.encode(), fresh.encode()))
                    response.mimetype = mimetype
                    return _headers(response, tag)
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            if pages is not None and not response.is_streamed and "csp_nonce" in g:
                pages.put(key, response.get_data(), str(g.csp_nonce), response.mimetype or "")
            return _headers(response, tag)

        return wrapper

    return decorate


def _headers(response: Response, tag: str) -> Response:
    response.set_etag(tag, weak=True)
    # Stored by the browser, but revalidated every time: a decision shows at once.
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    return response
