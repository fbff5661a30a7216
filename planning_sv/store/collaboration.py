"""Tables and repository functions for this area (see docs/ARCHITECTURE.md)."""

from __future__ import annotations
