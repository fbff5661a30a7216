"""The Flask application: `create_app(config=None)` and the request-scoped helpers.

Blueprints are found by module name (`BLUEPRINT_MODULES`): a module in this package that
defines `bp` is registered, so a new audience is one new file (see docs/WEB.md).
"""

from __future__ import annotations

import importlib
import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, send_from_directory
from flask.typing import ResponseReturnValue
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from planning_sv import config as paths
from planning_sv.core.figures import dates_in_words, format_date, format_gbp, format_number
from planning_sv.store.assessments import Assessor
from planning_sv.store.db import Database
from planning_sv.web.maps import DisplayCache, PartsCache, tiles_from_config
from planning_sv.web.render_cache import FragmentCache, RecordCache

# Registered in this order when the module exists; each defines `bp` (a Blueprint).
BLUEPRINT_MODULES = (
    "auth",
    "applicant",
    "api",
    "admin",
    "officer",
    "public",
    "maps",
    "ops",
    "monitoring",
    "contributions",
    "delivery",
    "collaboration",
    "cases",  # officer case management (web/cases.py)
    "odp",  # Open Digital Planning import (web/odp.py)
)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SERVICE_NAME = "Social value in planning"


def _secret_key(instance: Path) -> str:
    """`SECRET_KEY` from the environment, else one generated once and kept in the instance."""
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
    key_file = instance / "secret_key"
    if not key_file.exists():
        # Several worker processes (gunicorn) may start at once: each writes a whole key to
        # its own file and links it into place; the first link wins, the others read it.
        instance.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".secret-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32))
            os.chmod(tmp, 0o600)
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            Path(tmp).unlink(missing_ok=True)
    return key_file.read_text(encoding="utf-8").strip()


@dataclass
class Services:
    """The app's long-lived services, in `app.extensions["planning_sv"]` (one set per app,
    so two apps in one process share nothing): the assessor (rule packs, measures, geo,
    valuer) and the simplified wards the maps draw. Views reach them through `services()`.
    """

    assessor: Assessor
    display: DisplayCache = field(default_factory=DisplayCache)
    # Rendered map parts of the officers' review page (web/officer.py), keyed by all inputs.
    map_parts: PartsCache = field(default_factory=PartsCache)
    # The review page's parsed records and rendered parts (web/render_cache.py): keyed by
    # every input, so a new verdict, note, correction or version is a new key, never stale.
    records: RecordCache = field(default_factory=RecordCache)
    fragments: FragmentCache = field(default_factory=FragmentCache)

    @property
    def geo(self) -> Any:
        """The geo service (core.geo.GeoService) the assessor places with; a new one after
        a boundary vintage is imported."""
        return self.assessor.placer()

    def display_wards(self, vintage: str, lad_code: str) -> Any:
        """A council's wards simplified for drawing (web/maps.py), kept per app."""
        return self.display.wards(self.geo, vintage, lad_code)


def _trusted_proxy_count(value: object) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 5:
        raise ValueError("PLANNING_SV_TRUSTED_PROXIES must be a whole number from 0 to 5")
    return int(text)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings, e.g. {"DATABASE_URL": ..., "TESTING": True}."""
    instance = paths.instance_dir()
    app = Flask(
        __name__,
        template_folder=str(paths.TEMPLATES_DIR),
        static_folder=str(paths.STATIC_DIR),
        instance_path=str(instance),
    )
    app.config.update(
        SECRET_KEY=None,
        DATABASE_URL=None,  # None: store.db.default_database_url()
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        SESSION_COOKIE_SECURE=os.environ.get("PLANNING_SV_INSECURE_COOKIES") != "1",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        RATELIMIT_ENABLED=True,
        RATELIMIT_HEADERS_ENABLED=True,  # Retry-After (and X-RateLimit-*) on every 429
        RATELIMIT_STORAGE_URI="memory://",
        SIGN_IN_RATE_LIMIT="10/minute",
        WTF_CSRF_TIME_LIMIT=None,  # tokens live as long as the session (long forms)
        SERVICE_NAME=SERVICE_NAME,
        # Served over https (PLANNING_SV_HTTPS=1): https links, and HSTS on every response.
        PREFERRED_URL_SCHEME="https" if os.environ.get("PLANNING_SV_HTTPS") == "1" else "http",
        # Base map tiles are off so maps work offline with no third-party requests; an
        # operator may set a tile URL template (https) and its attribution.
        MAP_TILES=os.environ.get("MAP_TILES") or None,
        MAP_TILES_ATTRIBUTION=os.environ.get("MAP_TILES_ATTRIBUTION") or None,
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host. 0
        # trusts none: a client could otherwise choose the address that rate limits count.
        TRUSTED_PROXIES=os.environ.get("PLANNING_SV_TRUSTED_PROXIES", "0"),
        # Email (planning_sv/mail.py, docs/OPERATIONS.md): SMTP by URL, or GOV.UK Notify when
        # its key is set; neither: the app works and says so on the admin mail page.
        MAIL_URL=os.environ.get("MAIL_URL") or None,
        MAIL_FROM=os.environ.get("MAIL_FROM") or None,
        NOTIFY_API_KEY=os.environ.get("NOTIFY_API_KEY") or None,
        NOTIFY_TEMPLATE_ID=os.environ.get("NOTIFY_TEMPLATE_ID") or None,
        NOTIFY_BASE_URL=os.environ.get("NOTIFY_BASE_URL") or None,
        # The site's address for links in emails, e.g. https://socialvalue.example.gov.uk
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL") or None,
    )
    if config:
        app.config.update(dict(config))
    trusted_proxies = _trusted_proxy_count(app.config["TRUSTED_PROXIES"])
    if trusted_proxies:
        # Behind a proxy every visitor would otherwise share the proxy's address, and so
        # one sign-in rate limit.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies, x_host=trusted_proxies
        )
    # A misconfigured base map fails at start-up, not as a 500 on the first map page.
    tiles_from_config(app.config)
    # So does a misconfigured mail transport (ValueError naming the setting).
    from planning_sv.mail import mailer_from_config

    app.extensions["planning_sv.mailer"] = mailer_from_config(app.config)
    if app.extensions["planning_sv.mailer"] is not None and not app.config["PUBLIC_BASE_URL"]:
        # Reset links would then carry whatever Host a request came with (docs/SECURITY.md).
        app.logger.warning("email is configured but PUBLIC_BASE_URL is not: set it")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(instance)

    # ASSESSOR: an assessor to share (the tests share one, so boundaries load once);
    # otherwise the app builds its own over its configured data and instance folders.
    app_assessor = app.config.get("ASSESSOR") or Assessor(
        data_dir=app.config.get("DATA_DIR"), instance_dir=instance
    )
    app.extensions["planning_sv"] = Services(assessor=app_assessor)
    # The assessor rides on the app's sessions, for store functions that assess.
    app.extensions["planning_sv.db"] = Database(app.config["DATABASE_URL"], assessor=app_assessor)

    # govuk-frontend-jinja and -wtf templates beside ours; ours win on a name clash.
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(paths.TEMPLATES_DIR)),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    from govuk_frontend_wtf.main import WTFormsHelpers

    WTFormsHelpers(app)

    from planning_sv.web import authz, errors, params
    from planning_sv.web import logging as request_logs

    request_logs.init_app(app)  # first: request ids and the access log's clock
    _refuse_without_open_data(app, app_assessor)  # before authz: says why, to everyone
    authz.init_app(app)
    errors.init_app(app)
    params.init_app(app)  # the bounded `int` URL converter, before any rule is added
    _register_blueprints(app)
    _register_assets(app)

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session: Session | None = g.pop("_db_session", None)
        if session is not None:
            # Anything a view did not commit explicitly is discarded: a failed request
            # never half-saves.
            session.rollback()
            session.close()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["PREFERRED_URL_SCHEME"] == "https":
            # Browsers keep to https for a year (ASVS 14.4.5); only when configured, as
            # a plain-http install would lock its users out.
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        nonce = g.get("csp_nonce")
        if nonce and response.mimetype == "text/html":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; "
                f"script-src 'self' 'nonce-{nonce}'; "
                "style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data: https:; "
                "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
                "form-action 'self'",
            )
        return response

    app.jinja_env.filters["plain"] = plain_value
    app.jinja_env.filters["pretty_json"] = pretty_json
    # One way to print figures on every page (core/figures.py), macros included.
    app.jinja_env.globals.update(format_number=format_number, format_gbp=format_gbp)
    # Benchmarks beside a scheme (templates/_benchmarks.html): the figure format and the floor.
    from planning_sv.core import benchmarks

    app.jinja_env.globals.update(
        benchmark_figure=benchmarks.figure, benchmark_min_schemes=benchmarks.MIN_SCHEMES
    )
    # A global, not a context variable, so macros (_planning_record.html) see it too.
    from planning_sv.web.records import planning_record

    app.jinja_env.globals["planning_record"] = planning_record
    # One way to print dates: '29 November 2026' ({{ d | date }}), with time
    # '29 November 2026 at 2:05pm' ({{ d | date(time=True) }}).
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["dates_in_words"] = dates_in_words  # ISO dates in stored text

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {
            "cspNonce": csp_nonce(),
            "service_name": app.config["SERVICE_NAME"],
            "council_names": assessor().councils(),
            "url_endpoints": app.view_functions.keys(),
        }

    return app


def _refuse_without_open_data(app: Flask, app_assessor: Assessor) -> None:
    """Without the open data nothing can be placed or valued: say which datasets are missing
    once in the log (and in `DATA_MISSING`; `planning-sv serve` makes the same check first and
    refuses to start), and answer requests with a plain 503, not a traceback on the first map."""
    from planning_sv import datasets

    folder = Path(
        app.config.get("DATA_DIR") or app_assessor.data_dir or datasets.configured_data_dir()
    )
    missing = datasets.missing_required(folder)
    if not missing:
        return
    message = datasets.missing_message(folder, missing)
    app.config["DATA_MISSING"] = message
    app.logger.error(message)
    # Visitors get no folder path (that is for the operator's log), only what is wrong.
    public = (
        "This service is not ready: the open data it needs is not installed "
        f"({len(missing)} dataset(s) missing). The operator should run "
        f"`{datasets.FETCH_COMMAND}` (see `planning-sv data status`).\n"
    )

    @app.before_request
    def _data_missing() -> ResponseReturnValue | None:
        from flask import request

        if request.endpoint in ("ops.healthz", "ops.readyz"):
            return None  # monitoring: up, and not ready naming the check (web/ops.py)
        return Response(public, status=503, mimetype="text/plain")


def _register_blueprints(app: Flask) -> None:
    for name in BLUEPRINT_MODULES:
        try:
            module = importlib.import_module(f"planning_sv.web.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"planning_sv.web.{name}":
                continue  # that audience is not built yet
            raise
        blueprint = getattr(module, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)


def _register_assets(app: Flask) -> None:
    from planning_sv.web.authz import PUBLIC, allow

    assets_dir = paths.STATIC_DIR / "vendor" / "govuk" / "assets"

    # govuk-frontend's CSS refers to its fonts and images under /assets/.
    @allow(PUBLIC)
    def govuk_assets(filename: str) -> ResponseReturnValue:
        return send_from_directory(assets_dir, filename, max_age=86400)

    app.add_url_rule("/assets/<path:filename>", "govuk_assets", govuk_assets)


def plain_value(value: Any) -> str:
    """A JSON value for people: 20.0 -> '20', strings unquoted, objects as compact JSON."""
    import json

    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    if value is None:
        return "–"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def pretty_json(value: Any) -> str:
    """JSON to read on a page, as plain text that Jinja escapes like any other text.

    Not `|tojson`: that is for inside <script>, and shows < > & ' as \\u003c … on a page.
    """
    import json

    return json.dumps(value, indent=2, ensure_ascii=False)


def attachment(filename: str) -> str:
    """A Content-Disposition value for a download named from user text (an application
    reference): ASCII letters, digits, dots and dashes only, each other run one dash, so no
    quote, non-Latin letter or control character reaches the header."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename)
    return f'attachment; filename="{safe}"'


def csp_nonce() -> str:
    """This request's script nonce: the CSP header and every inline script (maps) share it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def db_session() -> Session:
    """The request's database session (opened on first use, rolled back unless committed)."""
    if "_db_session" not in g:
        from flask import current_app

        g._db_session = current_app.extensions["planning_sv.db"].Session()
        from planning_sv.web import notify

        notify.attach(g._db_session)  # workflow emails, sent after each commit
    return g._db_session


def services() -> Services:
    """The current app's long-lived services (see `Services`)."""
    from flask import current_app

    return current_app.extensions["planning_sv"]


def assessor() -> Assessor:
    """The app's assessment service (rule packs, measures, geo and valuation, loaded once)."""
    return services().assessor
