"""`planning-sv data status|fetch|build`: the open data the app reads (planning_sv/data/datasets.yaml)."""

from __future__ import annotations

from pathlib import Path

import click

from planning_sv.cli.common import EXIT_FAULT, fail

_DEST_HELP = "Data folder (default: PLANNING_SV_DATA_DIR, else ../shared/data)."


def _folder(dest: Path | None) -> Path:
    from planning_sv import datasets

    return Path(dest) if dest else datasets.configured_data_dir()


def _chosen(only: tuple[str, ...]):  # -> list[datasets.Dataset]
    from planning_sv import datasets

    entries = datasets.manifest()
    if not only:
        return list(entries.datasets)
    try:
        return [entries.get(name) for name in only]
    except KeyError as exc:
        fail([f"--only: {exc.args[0]}"])


@click.group("data")
def data_group() -> None:
    """Open data: check, download and rebuild the files the app reads."""


@data_group.command("status")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), help=_DEST_HELP)
@click.option("--only", multiple=True, metavar="NAME", help="Only this dataset (repeatable).")
def status_command(dest: Path | None, only: tuple[str, ...]) -> None:
    """Say for each dataset whether it is present, missing or fails its checksum.

    Exit status 0 when every required dataset is present and correct, 1 otherwise.
    """
    from planning_sv import datasets

    folder = _folder(dest)
    where = "" if dest is None else f" --dest {folder}"
    click.echo(f"data folder: {folder}")
    bad_required = 0
    for dataset, state in datasets.status(folder, _chosen(only)):
        need = "required" if dataset.required else "optional"
        if state == datasets.PRESENT:
            action = ""
        elif dataset.built_by and not dataset.download_url:
            action = f"  -> run `{datasets.BUILD_COMMAND}{where}` (or fetch from a --mirror)"
        elif dataset.download_url:
            action = f"  -> run `{datasets.FETCH_COMMAND}{where} --only {dataset.name}`"
        else:
            action = (
                f"  -> run `{datasets.FETCH_COMMAND}{where} --only {dataset.name} "
                "--mirror BASE_URL` (no public copy of these exact bytes)"
            )
        click.echo(f"{state:<17} {need:<8} {dataset.name:<40} {dataset.file}{action}")
        if dataset.required and state != datasets.PRESENT:
            bad_required += 1
    if bad_required:
        click.echo(f"{bad_required} required dataset(s) missing or wrong", err=True)
        raise SystemExit(EXIT_FAULT)


@data_group.command("fetch")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), help=_DEST_HELP)
@click.option("--only", multiple=True, metavar="NAME", help="Only this dataset (repeatable).")
@click.option(
    "--mirror",
    metavar="BASE_URL",
    help="Fetch each file from BASE_URL/<file in the manifest> (e.g. the council's own copy).",
)
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per read.")
def fetch_command(
    dest: Path | None, only: tuple[str, ...], mirror: str | None, timeout: float
) -> None:
    """Download the datasets that are missing or wrong, verify each SHA-256, then move it in.

    An interrupted download is resumed from its `.part` file; a download whose checksum does
    not match is deleted and never replaces a file already in place. Exit status 1 if any
    dataset could not be fetched.
    """
    from planning_sv import datasets

    if mirror and not mirror.startswith(("http://", "https://")):
        fail(["--mirror: must be an http:// or https:// URL"])
    folder = _folder(dest)
    failures: list[str] = []
    for dataset, state in datasets.status(folder, _chosen(only)):
        if state == datasets.PRESENT:
            click.echo(f"present  {dataset.name}")
            continue
        url = datasets.source_url(dataset, mirror)
        if url is None:
            how = (
                f"run `{datasets.BUILD_COMMAND}`"
                if dataset.built_by
                else "give --mirror BASE_URL (a copy of the reference files)"
            )
            failures.append(f"{dataset.name}: no public download of these exact bytes; {how}")
            continue
        try:
            datasets.fetch(dataset, folder, url, timeout=timeout)
        except datasets.FetchError as exc:
            failures.append(str(exc))
            continue
        except OSError as exc:  # the destination is not writable, the disk is full …
            failures.append(f"{dataset.name}: cannot write under {folder}: {exc}")
            continue
        click.echo(f"fetched  {dataset.name} ({dataset.size} bytes, sha256 verified)")
    if failures:
        fail(failures, heading="some datasets were not fetched", exit_code=EXIT_FAULT)


@data_group.command("build")
@click.option(
    "--council",
    "councils",
    multiple=True,
    required=True,
    metavar="LAD_CODE",
    help="Local authority code, e.g. E09000007 (repeatable).",
)
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), help=_DEST_HELP)
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder holding the national input files (default: the data folder).",
)
def build_command(councils: tuple[str, ...], dest: Path | None, source: Path | None) -> None:
    """Rebuild a council's IMD rows and ward population/deprivation summary from national files.

    Replaces only that council's rows in the IMD LSOA file and the ward summary (manifest
    entries imd-2019-lsoa11-built and ward-summary-2025), and writes its 2025 ward
    boundaries from the national ward file when it has none.
    """
    from planning_sv import data_build

    folder = _folder(dest)
    inputs = Path(source) if source else folder
    for lad_code in councils:
        try:
            built = data_build.build(lad_code, inputs, folder)
        except data_build.BuildError as exc:
            fail([str(exc)], exit_code=2 if str(exc).startswith("--council") else EXIT_FAULT)
        click.echo(
            f"built    {built.lad_code}: {built.lsoa_count} LSOAs, {built.ward_count} wards -> "
            + ", ".join(built.files)
        )
