"""Web tests (a package, so test modules may share a basename with tests/core ones)."""
