"""Where the project finds its rule packs and the shared open data.

Pure path logic: no Flask, no database, so both the CLI and the web app use it.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_PLANS_DIR = Path(os.environ.get("PLANNING_SV_PLANS_DIR", PROJECT_ROOT / "local_plans"))
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


def instance_dir() -> Path:
    """Writable per-installation folder: SQLite database, imported boundaries and value sets.

    `PLANNING_SV_INSTANCE_DIR` wins; otherwise `instance/` in the project (git-ignored),
    which is also Flask's instance folder.
    """
    configured = os.environ.get("PLANNING_SV_INSTANCE_DIR")
    path = Path(configured) if configured else PROJECT_ROOT / "instance"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Where derived files that can always be rebuilt are kept (the batch locator's grid).

    `PLANNING_SV_CACHE_DIR` wins; otherwise `cache/` in the instance folder. Safe to delete.
    """
    configured = os.environ.get("PLANNING_SV_CACHE_DIR")
    return Path(configured) if configured else instance_dir() / "cache"


class DataDirMissing(RuntimeError):
    """The open data folder (boundaries, postcodes, IMD, population) cannot be found."""


def data_dir() -> Path:
    """The shared open-data folder.

    `PLANNING_SV_DATA_DIR` wins; otherwise `../shared/data` beside the project, which is
    where the data lives in development and CI. The data is never copied into the repo.
    """
    configured = os.environ.get("PLANNING_SV_DATA_DIR")
    candidate = Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "data"
    if not candidate.is_dir():
        raise DataDirMissing(
            f"open data folder not found at {candidate}; set PLANNING_SV_DATA_DIR to the folder "
            "holding boundaries/, postcodes/, imd/ and population/"
        )
    return candidate


def examples_dir() -> Path:
    """The product brief's example statements (`../shared/docs/examples`), beside the data.

    `PLANNING_SV_EXAMPLES_DIR` wins; the demo seed and tests read them, and the demo falls
    back to built-in statements when the folder is missing.
    """
    configured = os.environ.get("PLANNING_SV_EXAMPLES_DIR")
    return Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "docs" / "examples"
