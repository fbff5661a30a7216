"""Engine and session for the database named by `DATABASE_URL`.

Default: a SQLite file in the instance folder, in WAL mode so the web server's readers do
not block the writer. The same code runs on PostgreSQL (`postgresql+psycopg://…`).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from planning_sv import config


def default_database_url() -> str:
    """`DATABASE_URL` if set, else `sqlite:///<instance>/planning_sv.db`."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{config.instance_dir() / 'planning_sv.db'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: concurrent readers while one writer commits; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# NaN/Infinity are not JSON: PostgreSQL refuses them and SQLite would store them silently,
# so both backends refuse them here, alike.
_json_serializer = functools.partial(json.dumps, allow_nan=False)


def make_engine(url: str | None = None) -> Engine:
    url = url or default_database_url()
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, json_serializer=_json_serializer
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_serializer)


class Database:
    """One engine and its session factory; the app and the CLI each hold one.

    `assessor` (store.assessments.Assessor) is the owner's assessment service: every
    session carries it in `session.info`, so the store functions that assess
    (store/statements.py) use the app's or command's own services, never a process-wide one.
    """

    def __init__(self, url: str | None = None, *, assessor: Any = None):
        self.url = url or default_database_url()
        self.engine = make_engine(self.url)
        info = {} if assessor is None else {"planning_sv.assessor": assessor}
        # expire_on_commit=False: objects stay readable after commit (templates render them).
        self.Session = sessionmaker(self.engine, expire_on_commit=False, info=info)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.Session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
