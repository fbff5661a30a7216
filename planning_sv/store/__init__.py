"""Persistence: SQLAlchemy 2 models, Alembic migrations and repositories.

Imports core, never Flask, so the CLI and the web app share it.
"""
