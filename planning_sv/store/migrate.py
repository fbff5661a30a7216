"""Run the Alembic migrations programmatically: `planning-sv db upgrade` and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from planning_sv.store.db import default_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' is ConfigParser interpolation; URLs with encoded passwords contain it.
    cfg.set_main_option("sqlalchemy.url", (url or default_database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Create or migrate the database at `url` (default `DATABASE_URL`) to `revision`."""
    command.upgrade(alembic_config(url), revision)


def revision(message: str, url: str | None = None) -> None:
    """Autogenerate a new migration from the models (developers: see docs/WEB.md)."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
