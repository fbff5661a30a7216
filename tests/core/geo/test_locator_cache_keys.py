"""The content key of a boundary file, remembered with the file's stat signature so that a
one-shot `planning-sv locate` does not hash a large boundary file on every run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from planning_sv.core.geo import batch
from planning_sv.core.geo.batch import cache_key, cache_path
from tests.core.geo.test_locator_cache import write_wards


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files `cache_path` has `cache_key` hash, in order (the tests' own calls of
    `cache_key`, imported before the patch, are not counted)."""
    seen: list[Path] = []
    real = batch.cache_key

    def counting(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(batch, "cache_key", counting)
    return seen


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    # Files written by the test count as settled at once (normally: 2 s after their last
    # change, which a test should not wait for).
    monkeypatch.setattr(batch, "_SETTLED_NS", -(10**15))


def test_a_settled_file_is_hashed_once(tmp_path: Path, hashes: list[Path], settled: None) -> None:
    wards = write_wards(tmp_path / "wards.geojson")
    cache = tmp_path / "cache"
    first = cache_path(cache, wards)
    second = cache_path(cache, wards)
    assert first == second == cache / f"wards-{cache_key(wards)}.grid"
    # Two cache_path calls, one hash.
    assert hashes == [wards]
    kept = json.loads((cache / "keys.json").read_text("utf-8"))
    assert list(kept) == [str(wards.resolve())]
    assert kept[str(wards.resolve())]["key"] == cache_key(wards)


def test_a_replaced_file_of_the_same_size_is_hashed_again(
    tmp_path: Path, hashes: list[Path], settled: None
) -> None:
    wards = write_wards(tmp_path / "wards.geojson")
    cache = tmp_path / "cache"
    before = cache_path(cache, wards)
    # Same length, other content, written beside and moved over the original (a new inode).
    other = write_wards(tmp_path / "other.geojson", beta_name="Bxta")
    assert other.stat().st_size == wards.stat().st_size
    os.replace(other, wards)
    after = cache_path(cache, wards)
    assert before != after
    assert after == cache / f"wards-{cache_key(wards)}.grid"
    assert hashes == [wards, wards]


def test_a_file_just_written_is_always_hashed(tmp_path: Path, hashes: list[Path]) -> None:
    wards = write_wards(tmp_path / "wards.geojson")
    cache = tmp_path / "cache"
    assert cache_path(cache, wards) == cache_path(cache, wards)
    assert hashes == [wards, wards]
    assert not (cache / "keys.json").exists()


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"x": 1}'])
def test_a_damaged_keys_file_only_costs_a_hash(
    tmp_path: Path, hashes: list[Path], settled: None, text: str
) -> None:
    wards = write_wards(tmp_path / "wards.geojson")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "keys.json").write_text(text, "utf-8")
    assert cache_path(cache, wards) == cache / f"wards-{cache_key(wards)}.grid"
    assert len(hashes) == 1
    # Rewritten with this file's key: the next run does not hash.
    assert cache_path(cache, wards) == cache / f"wards-{cache_key(wards)}.grid"
    assert len(hashes) == 1
