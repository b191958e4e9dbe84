"""Run the pipeline from the command line against the project's Dagster instance.

The CLI does what the daemon does (inbox scan, then runs for what is missing) in-process, so the
demo needs no server, while every run still lands in DAGSTER_HOME and shows up in the UI.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetKey, DagsterInstance, Definitions

from vitra_assets.inbox import scan_for_new_videos
from vitra_assets.partitions import SOURCE_TAG, VIDEOS, source_tags, videos_partitions
from vitra_core import console
from vitra_core.config import VitraConfig
from vitra_core.fsutil import copy_atomic
from vitra_core.layout import DataLayout
from vitra_core.video.ingest import IngestOutcome
from vitra_core.video.sidecar import sidecar_paths

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


def drop_into_inbox(files: list[Path], inbox: Path) -> None:
    """Copy files (and their intrinsics sidecars) into the inbox; each appears there complete or not at all."""
    for path in files:
        copy_atomic(path, inbox / path.name)
        for sidecar in sidecar_paths(path):
            if sidecar.is_file():
                shutil.copy2(sidecar, inbox / sidecar.name)


def drain_inbox(cfg: VitraConfig, instance: DagsterInstance, report: IngestReport) -> None:
    """Ingest every inbox file now (no settle time) and register partitions for new videos."""
    while True:
        scan = scan_for_new_videos(cfg, instance, settle_s=0.0)
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
    layout: DataLayout | None = None,
) -> None:
    """One run of the `per_video` job per partition, as the inbox sensor launches them: a broken video fails alone.
    With `layout`, each run is tagged `vitra/source` with its video's file name, as the inbox sensor does."""
    with console.progress(total=len(work), desc="processing videos", unit="video", disable=None if work else True) as bar:
        for key, assets in work.items():
            tags = source_tags(layout, key) if layout else {}
            bar.set_postfix_str(tags.get(SOURCE_TAG, key)[:24])
            (report.succeeded if _run(instance, defs, assets, key, tags) else report.failed).append(key)
            bar.update()


def materialize_corpus_asset(instance: DagsterInstance, defs: Definitions, asset_key: AssetKey) -> bool:
    """Run an unpartitioned (corpus-level) asset once, through the named job that holds it (as from the UI)."""
    return _run(instance, defs, [asset_key])


def _run(instance: DagsterInstance, defs: Definitions, assets: list[AssetKey], partition_key: str | None = None,
         tags: dict[str, str] | None = None) -> bool:
    """One in-process run of the named job holding `assets` (else the implicit asset job), recorded in the
    instance as the UI would launch it, with a quiet console."""
    from vitra_assets.jobs import job_for

    name = job_for(assets)
    job = defs.resolve_job_def(name) if name else defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=instance, partition_key=partition_key, asset_selection=assets,
        raise_on_error=False, run_config=_run_config(), tags={"vitra/launched_by": "cli", **(tags or {})},
    )
    return result.success


def materialization_status(instance: DagsterInstance, asset_key: AssetKey) -> dict[str, str]:
    """Partition key -> 'materialized', 'failed', 'in_progress' or 'missing'."""
    keys = instance.get_dynamic_partitions(VIDEOS)
    statuses = instance.get_status_by_partition(asset_key, keys, videos_partitions) or {}
    return {key: statuses[key].value.lower() if statuses.get(key) else "missing" for key in keys}
