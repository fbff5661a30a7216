"""The WSGI application for a server with several worker processes (the production lane):

    gunicorn --workers 4 --bind 127.0.0.1:8000 'planning_sv.web.wsgi:app'

or `planning-sv serve --workers 4`, which runs exactly that. Each worker imports this module
and so builds its own app: its own database engine and connection pool (none is shared
across a fork) and its own loaded rule packs and boundaries. Configuration comes from the
environment as for `planning-sv serve` (DATABASE_URL, SECRET_KEY, ...); with several
workers use PostgreSQL, and set SECRET_KEY (or let the first worker write the instance
folder's key, which every worker then reads). docs/WEB.md, "Production lane".
"""

from __future__ import annotations

import logging
import os

from planning_sv.web import create_app

app = create_app()

# Load rule packs, boundaries and postcodes before the worker takes requests, so no user
# waits for them (PLANNING_SV_WARM=0 skips it, e.g. for a quick smoke test).
if os.environ.get("PLANNING_SV_WARM", "1") != "0":
    try:
        app.extensions["planning_sv"].assessor.services()
    except Exception as exc:  # the app still serves pages; assessments will report it
        logging.getLogger(__name__).warning("assessment services not loaded: %s", exc)
