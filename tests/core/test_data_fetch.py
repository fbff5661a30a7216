"""`planning-sv data fetch|status` against a local HTTP server the test starts (no outside network).

The server serves small fake files named by a manifest the test writes; it honours
`Range: bytes=N-` and can cut the connection half way through a file on its first request.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planning_sv import config, datasets
from planning_sv.cli import cli

GOOD = b"ward,population\nE05013697,11000\n" * 40  # (16 + 16) x 40 = 1,280 bytes
OTHER = b"lsoa,decile\nE01002694,2\n" * 30  # 720 bytes
CUT = b"0123456789abcdef" * 100  # 1,600 bytes; the first response stops after 700


class _Server:
    """What the handler serves and what it saw."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut_first: set[str] = set()  # paths whose first response is cut at 700 bytes
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)


def _handler(state: _Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            rng = self.headers.get("Range")
            state.requests.append((self.path, rng))
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            start = int(rng.removeprefix("bytes=").rstrip("-")) if rng else 0
            if start >= len(body) and rng:
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206 if rng else 200)
            if rng:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            if self.path in state.cut_first:
                state.cut_first.discard(self.path)
                # Promise the whole file, send 700 bytes, then drop the connection.
                self.wfile.write(body[start:700])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body[start:])

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, _Server]]:
    state = _Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _entry(name: str, file: str, body: bytes, url: str | None) -> dict[str, object]:
    return {
        "name": name,
        "title": name,
        "file": file,
        "publisher": "Test publisher",
        "licence": "Open Government Licence v3.0",
        "licence_url": "https://example.invalid/ogl",
        "attribution": "Test attribution",
        "vintage": "2025",
        "official_url": None,
        "download_url": url,
        "required": True,
        "built_by": None,
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }


@pytest.fixture
def use_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a manifest and make it the one `planning_sv.datasets` reads."""

    def write(entries: list[dict[str, object]]) -> datasets.Manifest:
        path = tmp_path / "manifest.yaml"
        path.write_text(
            yaml.safe_dump({"version": 1, "map_attribution": "Test map", "datasets": entries}),
            encoding="utf-8",
        )
        loaded = datasets.load_manifest(path)
        monkeypatch.setattr(datasets, "manifest", lambda: loaded)
        return loaded

    return write


def _run(*args: str):
    return CliRunner().invoke(cli, ["data", *args])


def test_fetches_a_good_file_and_status_says_present(server, use_manifest, tmp_path) -> None:
    base, state = server
    state.files["/wards.csv"] = GOOD
    use_manifest([_entry("wards", "derived/wards.csv", GOOD, f"{base}/wards.csv")])
    dest = tmp_path / "data"

    before = _run("status", "--dest", str(dest))
    assert before.exit_code == 1
    assert "missing" in before.output
    assert "planning-sv data fetch --dest" in before.output
    assert "--only wards" in before.output

    result = _run("fetch", "--dest", str(dest))
    assert result.exit_code == 0, result.output
    assert "fetched  wards (1280 bytes, sha256 verified)" in result.output
    assert (dest / "derived" / "wards.csv").read_bytes() == GOOD
    assert not (dest / "derived" / "wards.csv.part").exists()

    after = _run("status", "--dest", str(dest))
    assert after.exit_code == 0
    assert after.output.splitlines()[1].startswith("present")

    # A second fetch downloads nothing.
    again = _run("fetch", "--dest", str(dest))
    assert again.exit_code == 0
    assert "present  wards" in again.output
    assert state.requests == [("/wards.csv", None)]


def test_checksum_mismatch_is_refused_and_keeps_the_good_file(
    server, use_manifest, tmp_path
) -> None:
    base, state = server
    # The server holds different bytes of the same length: size alone would not notice.
    state.files["/wards.csv"] = GOOD[:-1] + b"X"
    use_manifest([_entry("wards", "derived/wards.csv", GOOD, f"{base}/wards.csv")])
    dest = tmp_path / "data"
    (dest / "derived").mkdir(parents=True)
    # A good copy whose one byte was flipped on disk: status says mismatch, fetch tries again.
    (dest / "derived" / "wards.csv").write_bytes(b"Y" + GOOD[1:])

    status = _run("status", "--dest", str(dest))
    assert status.exit_code == 1
    assert status.output.splitlines()[1].startswith("checksum mismatch")

    result = _run("fetch", "--dest", str(dest))
    assert result.exit_code == 1
    assert "error: some datasets were not fetched" in result.output
    assert "wards: checksum mismatch for" in result.output
    assert f"the manifest says {hashlib.sha256(GOOD).hexdigest()}" in result.output
    assert "the file already in place was kept" in result.output
    # Neither the bad download nor its .part is left; the file in place is untouched.
    assert (dest / "derived" / "wards.csv").read_bytes() == b"Y" + GOOD[1:]
    assert not (dest / "derived" / "wards.csv.part").exists()


def test_a_good_file_is_not_replaced_by_a_bad_download(server, use_manifest, tmp_path) -> None:
    base, state = server
    state.files["/wards.csv"] = GOOD + b"extra"  # too long: refused before the checksum
    dataset = use_manifest([_entry("wards", "w.csv", GOOD, f"{base}/wards.csv")]).datasets[0]
    (tmp_path / "w.csv").write_bytes(GOOD)
    # Called directly: the CLI would skip the good file without downloading.
    with pytest.raises(datasets.FetchError, match="more than the expected 1280 bytes"):
        datasets.fetch(dataset, tmp_path, f"{base}/wards.csv", show_progress=False)
    assert (tmp_path / "w.csv").read_bytes() == GOOD


def test_an_interrupted_transfer_resumes_with_range(server, use_manifest, tmp_path) -> None:
    base, state = server
    state.files["/cut.bin"] = CUT
    state.cut_first.add("/cut.bin")
    use_manifest([_entry("cut", "cut.bin", CUT, f"{base}/cut.bin")])

    result = _run("fetch", "--dest", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cut.bin").read_bytes() == CUT
    # The second request asked only for the 900 bytes after the 700 already received.
    assert state.requests == [("/cut.bin", None), ("/cut.bin", "bytes=700-")]


def test_a_part_file_left_by_an_earlier_run_is_resumed(server, use_manifest, tmp_path) -> None:
    base, state = server
    state.files["/cut.bin"] = CUT
    use_manifest([_entry("cut", "cut.bin", CUT, f"{base}/cut.bin")])
    (tmp_path / "cut.bin.part").write_bytes(CUT[:1000])

    status = _run("status", "--dest", str(tmp_path))
    assert status.output.splitlines()[1].startswith("missing")  # a .part is not the file

    result = _run("fetch", "--dest", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cut.bin").read_bytes() == CUT
    assert state.requests == [("/cut.bin", "bytes=1000-")]


def test_mirror_fetches_base_url_slash_manifest_file(server, use_manifest, tmp_path) -> None:
    base, state = server
    state.files["/mirror/derived/wards.csv"] = GOOD
    state.files["/mirror/imd/lsoa.csv"] = OTHER
    use_manifest(
        [
            # No public URL at all: only a mirror can supply it.
            _entry("wards", "derived/wards.csv", GOOD, None),
            _entry("lsoa", "imd/lsoa.csv", OTHER, "https://example.invalid/never-used.csv"),
        ]
    )
    without = _run("fetch", "--dest", str(tmp_path))
    assert without.exit_code == 1
    assert "wards: no public download of these exact bytes; give --mirror BASE_URL" in (
        without.output
    )

    result = _run(
        "fetch", "--dest", str(tmp_path), "--mirror", f"{base}/mirror/", "--only", "wards"
    )
    assert result.exit_code == 0, result.output
    result = _run("fetch", "--dest", str(tmp_path), "--mirror", f"{base}/mirror", "--only", "lsoa")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "derived" / "wards.csv").read_bytes() == GOOD
    assert (tmp_path / "imd" / "lsoa.csv").read_bytes() == OTHER
    assert state.requests == [("/mirror/derived/wards.csv", None), ("/mirror/imd/lsoa.csv", None)]


def test_bad_options_are_clear_errors(use_manifest, tmp_path) -> None:
    use_manifest([_entry("wards", "w.csv", GOOD, None)])
    unknown = _run("status", "--dest", str(tmp_path), "--only", "nope")
    assert unknown.exit_code == 2
    assert "error: --only: no dataset named 'nope' (known: wards)" in unknown.output
    mirror = _run("fetch", "--dest", str(tmp_path), "--mirror", "file:///etc")
    assert mirror.exit_code == 2
    assert "error: --mirror: must be an http:// or https:// URL" in mirror.output


def test_manifest_file_names_cannot_leave_the_data_folder(tmp_path) -> None:
    path = tmp_path / "m.yaml"
    entry = _entry("evil", "../outside.csv", GOOD, None)
    path.write_text(yaml.safe_dump({"map_attribution": "x", "datasets": [entry]}), "utf-8")
    with pytest.raises(ValueError, match="evil: file must stay inside the data folder"):
        datasets.load_manifest(path)


def test_packaged_manifest_matches_the_reference_data() -> None:
    """Every file in the shared data folder is listed with its true size and SHA-256."""
    data_dir = config.data_dir()
    entries = datasets.manifest().datasets
    on_disk = sorted(
        str(p.relative_to(data_dir))
        for p in data_dir.rglob("*")
        if p.is_file() and p.name != "PROVENANCE.md"
    )
    assert sorted(d.file for d in entries) == on_disk
    assert len(entries) == 27
    assert [state for _, state in datasets.status(data_dir)] == [datasets.PRESENT] * 27
    assert datasets.manifest().get("wards-2025-islington").size == 24450
    assert datasets.manifest().get("ward-summary-2025").built_by == "planning-sv data build"
    assert datasets.missing_required(data_dir) == []
