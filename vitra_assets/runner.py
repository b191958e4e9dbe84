"""Run the pipeline from the command line against the project's Dagster instance.

The CLI does what the daemon does (inbox scan, then runs for what is missing) without a server: it
launches runs of the named jobs through the instance (`launcher.py`) and waits for them, so every run
lands in DAGSTER_HOME as a UI launch would.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, DagsterRun, Definitions

from vitra_assets.inbox import scan_for_new_videos
from vitra_assets.launcher import Runs, RunSpec, run_line
from vitra_assets.partitions import SOURCE_TAG, VIDEOS, source_tags, videos_partitions
from vitra_core import console
from vitra_core.config import VitraConfig
from vitra_core.fsutil import copy_atomic, file_lock
from vitra_core.layout import DataLayout
from vitra_core.video.ingest import IngestOutcome
from vitra_core.video.sidecar import find_sidecar, sidecar_paths

VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".gif", ".mkv", ".avi", ".m4v"}


def _run_config() -> dict:
    """Dagster's console logger: DEBUG when it goes to the CLI's log file or `--verbose` asked for it, else WARNING."""
    return {"loggers": {"console": {"config": {"log_level": "DEBUG" if console.detailed_logs() else "WARNING"}}}}


@dataclass
class IngestReport:
    outcomes: list[IngestOutcome] = field(default_factory=list)
    new_partitions: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given; folders contribute their video files (by suffix), recursively."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES))
        else:
            found.append(path)
    return found


def drop_into_inbox(files: list[Path], inbox: Path) -> list[Path]:
    """Copy files (and their intrinsics sidecars) into the inbox; return where each video landed.

    Each video gets a name free in the inbox (`clip.mp4`, then `clip.1.mp4`), so two files with one
    base name from different folders are both kept, each with its own sidecar (`<name>.json`). The
    sidecar is copied first and each copy appears complete or not at all, so a scan never sees a
    video without its sidecar or half a file.
    """
    inbox.mkdir(parents=True, exist_ok=True)
    landed = []
    for path in files:
        target = _free_inbox_name(inbox, path.name)
        sidecar = find_sidecar(path)
        if sidecar is not None:
            copy_atomic(sidecar, target.with_name(target.name + ".json"))
        copy_atomic(path, target)
        landed.append(target)
    return landed


def _free_inbox_name(inbox: Path, name: str) -> Path:
    """`inbox/name`, or `inbox/<stem>.<n><suffix>` when that name or its sidecar names are taken."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, n = inbox / name, 1
    while any(p.exists() for p in (candidate, *sidecar_paths(candidate))):
        candidate = inbox / f"{stem}.{n}{suffix}"
        n += 1
    return candidate


def drain_inbox(cfg: VitraConfig, instance: DagsterInstance, report: IngestReport, ready: list[Path] = ()) -> None:
    """Ingest the inbox now and register partitions for new videos.

    `ready` files (just dropped by `drop_into_inbox`) are taken at once; any other inbox file only
    once it has settled, as the sensor would.
    """
    ready_set = frozenset(ready)
    while True:
        scan = scan_for_new_videos(cfg, instance, ready=ready_set)
        report.outcomes.extend(scan.outcomes)
        if scan.new_video_ids:
            instance.add_dynamic_partitions(VIDEOS, scan.new_video_ids)
            report.new_partitions.extend(scan.new_video_ids)
        if len(scan.outcomes) < cfg.inbox.max_files_per_tick:
            return


def pending_work(instance: DagsterInstance, chain: list[AssetKey]) -> dict[str, list[AssetKey]]:
    """Per video partition, the stages still to run: from the first unmaterialized one to the end."""
    done = {key: instance.get_materialized_partitions(key) for key in chain}
    work = {}
    for partition in instance.get_dynamic_partitions(VIDEOS):
        missing = [i for i, key in enumerate(chain) if partition not in done[key]]
        if missing:
            work[partition] = chain[missing[0]:]
    return work


def materialize_partitions(
    instance: DagsterInstance, defs: Definitions, work: dict[str, list[AssetKey]], report: IngestReport,
    layout: DataLayout | None = None, runs: Runs | None = None, echo: Callable[[str], None] | None = None,
    planned_at: int | None = None,
) -> None:
    """One run of the `per_video` job per partition, as the inbox sensor launches them: a broken video fails alone.

    `runs` launches them (the CLI: `launcher.Launcher`, through the instance); without it they run in this
    process (tests on an ephemeral instance). With `layout`, each run is tagged `vitra/source` with its video's
    file name, as the inbox sensor does, and is claimed first (`_claim_video`): a second `vitra ingest` of the
    same file, or a daemon or UI run of the video in flight, is waited for, and only the stages still missing
    afterwards run: a stage counts as done when materialized after `planned_at` (`event_log_cursor()` when the
    work was looked up; default: now). `echo` gets a line per run (its video, file name, status and run id)
    and per awaited run.
    """
    runs = runs or InProcessRuns(instance, defs)
    planned_at = event_log_cursor(instance) if planned_at is None else planned_at
    with console.progress(total=len(work), desc="per_video runs", unit="video", disable=None if work else True) as bar:
        def say(line: str) -> None:
            if echo is not None:
                bar.clear()  # the line goes to stdout; the bar (on the terminal's stderr) is drawn again below it
                echo(line)

        for key, assets in work.items():
            tags = source_tags(layout, key) if layout else {}
            label = f"{key} ({tags.get(SOURCE_TAG, '?')[:32]})"
            bar.set_postfix_str(tags.get(SOURCE_TAG, key)[:24])
            with _claim_video(instance, layout, key, assets, planned_at, label, say) as still_needed:
                run = runs.run(run_spec(still_needed, key, tags)) if still_needed else None
            ok = run is None or run.is_success
            (report.succeeded if ok else report.failed).append(key)
            if run is not None:
                say(f"  {label}: {run_line(run)}")
            bar.update()


def event_log_cursor(instance: DagsterInstance) -> int:
    """The newest event's storage id: materializations recorded later have larger ones."""
    return instance.event_log_storage.get_maximum_record_id() or 0


@contextmanager
def _claim_video(instance: DagsterInstance, layout: DataLayout | None, key: str, assets: list[AssetKey],
                 planned_at: int, label: str, echo: Callable[[str], None]) -> Iterator[list[AssetKey]]:
    """Hold the video's lock (`<data>/.locks/<id>.lock`) and wait for its runs launched elsewhere
    (vitra_assets/in_flight.py); yield the stages of `assets` still to run: from the first one not
    materialized since `planned_at` to the end (none when another process or run built them all meanwhile).
    Without `layout` (an ephemeral instance) nothing else can run the video: all of `assets`."""
    if layout is None:
        yield list(assets)
        return
    from vitra_assets.in_flight import wait_for_runs_elsewhere

    with file_lock(layout.locks_dir / f"{key}.lock"):
        wait_for_runs_elsewhere(instance, key, label, echo)
        done = [_latest_materialization(instance, asset, key) > planned_at for asset in assets]
        yield list(assets[done.index(False):]) if False in done else []


def _latest_materialization(instance: DagsterInstance, asset: AssetKey, key: str) -> int:
    """The storage id of the partition's latest materialization (0 when it has none)."""
    records = instance.fetch_materializations(AssetRecordsFilter(asset_key=asset, asset_partitions=[key]), limit=1).records
    return records[0].storage_id if records else 0


def materialize_corpus_asset(instance: DagsterInstance, defs: Definitions, asset_key: AssetKey) -> bool:
    """Run an unpartitioned (corpus-level) asset once in this process, through the named job that holds it."""
    return InProcessRuns(instance, defs).run(run_spec([asset_key])).is_success


def run_spec(assets: list[AssetKey], partition_key: str | None = None, tags: dict[str, str] | None = None) -> RunSpec:
    """The run of the named job holding `assets` (only those), tagged as launched by the CLI, with a quiet console."""
    from vitra_assets.jobs import job_for

    name = job_for(assets)
    if name is None:
        raise ValueError(f"no named job holds all of {[key.to_user_string() for key in assets]}")
    return RunSpec(name, tuple(assets), partition_key, {"vitra/launched_by": "cli", **(tags or {})}, _run_config())


class InProcessRuns:
    """Runs in this process (`execute_in_process`), for an ephemeral instance; the CLI uses `launcher.Launcher`."""

    def __init__(self, instance: DagsterInstance, defs: Definitions):
        self.instance, self.defs = instance, defs

    def run(self, spec: RunSpec, label: str | None = None) -> DagsterRun:
        tags = dict(spec.tags or {})
        result = self.defs.resolve_job_def(spec.job_name).execute_in_process(
            instance=self.instance, partition_key=spec.partition_key, asset_selection=list(spec.assets),
            raise_on_error=False, run_config=spec.run_config, tags=tags,
        )
        return result.dagster_run


def materialization_status(instance: DagsterInstance, asset_key: AssetKey) -> dict[str, str]:
    """Partition key -> 'materialized', 'failed', 'in_progress' or 'missing'."""
    keys = instance.get_dynamic_partitions(VIDEOS)
    statuses = instance.get_status_by_partition(asset_key, keys, videos_partitions) or {}
    return {key: statuses[key].value.lower() if statuses.get(key) else "missing" for key in keys}
