"""Batched backfills of the per-video stages: one run per batch of up to `dagster.backfill_batch_size` videos.

A run covers a partition key range, i.e. every `videos` partition between its first and last key in the
order the partitions were added, so a batch is a run of consecutive partitions that need the same stages.
Each asset is one step over the whole batch (vitra_assets/batching.py): start-up, imports, model loads and
the DVC repository are paid once per batch instead of once per video. A batch whose run fails (a bad
video, a failed blocking check) is run again one video per run, as the inbox sensor runs them, so the bad
video fails alone, with its own run and partition status, and the others are materialized.
The inbox sensor keeps one run per new video: a single new clip should not wait for a batch to fill.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

from dagster import AssetKey, DagsterInstance, Definitions
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from vitra_assets.launcher import Runs, run_line
from vitra_assets.partitions import VIDEOS
from vitra_assets.runner import InProcessRuns, IngestReport, event_log_cursor, materialize_partitions, run_spec
from vitra_core import console
from vitra_core.fsutil import file_lock
from vitra_core.layout import DataLayout

# Dagster's run tags for a partition key range (what its backfill daemon sets on a multi-partition run).
RANGE_START_TAG, RANGE_END_TAG = ASSET_PARTITION_RANGE_START_TAG, ASSET_PARTITION_RANGE_END_TAG
BATCH_SIZE_TAG = "vitra/batch_size"


@dataclass(frozen=True)
class Batch:
    assets: tuple[AssetKey, ...]
    videos: list[str] = field(default_factory=list)  # consecutive in the partitions' order


def plan_batches(partition_order: list[str], work: dict[str, list[AssetKey]], batch_size: int) -> list[Batch]:
    """Runs of consecutive partitions (in `partition_order`) that need the same stages, `batch_size` at most."""
    batches: list[Batch] = []
    current: Batch | None = None
    for video in partition_order:
        assets = tuple(work.get(video, ()))
        if not assets:
            current = None  # a range must not span a video that needs nothing (or other stages)
        elif current is not None and current.assets == assets and len(current.videos) < batch_size:
            current.videos.append(video)
        else:
            current = Batch(assets, [video])
            batches.append(current)
    return batches


def run_batches(instance: DagsterInstance, defs: Definitions, work: dict[str, list[AssetKey]], batch_size: int,
                report: IngestReport, layout: DataLayout, runs: Runs | None = None,
                echo: Callable[[str], None] | None = None) -> None:
    """Materialize `work` (video -> stages to run) in batched runs; a failed batch again one video per run.

    `runs` and `echo` as for `runner.materialize_partitions` (the CLI launches through the instance). Each
    batch holds its videos' locks (`<data>/.locks/<video id>.lock`, as `vitra ingest` does), taken in
    partition order so two backfills cannot deadlock. A batch holding a video with a run in flight elsewhere
    (the daemon's, the UI's: vitra_assets/in_flight.py) runs one video per run instead, each after waiting
    for that run. A video run alone runs only the stages that nothing (another run, its failed batch's
    successful steps) materialized since this call.
    """
    runs = runs or InProcessRuns(instance, defs)
    planned_at = event_log_cursor(instance)  # what a batch or another run builds after this is not run again
    batches = plan_batches(instance.get_dynamic_partitions(VIDEOS), work, batch_size)
    with console.progress(total=len(work), desc="processing videos", unit="video", disable=None if work else True) as bar:
        for batch in batches:
            bar.set_postfix_str(f"batch of {len(batch.videos)}")
            if len(batch.videos) == 1 or not _run_batch(instance, runs, batch, layout, echo):
                materialize_partitions(instance, defs, {video: list(batch.assets) for video in batch.videos}, report,
                                       layout, runs=runs, echo=echo, planned_at=planned_at)
            else:
                report.succeeded.extend(batch.videos)
            bar.update(len(batch.videos))


def _run_batch(instance: DagsterInstance, runs: Runs, batch: Batch, layout: DataLayout,
               echo: Callable[[str], None] | None) -> bool:
    """One run of the batch's stages over its key range, holding its videos' locks; False when it failed or
    was not launched because one of its videos has a run in flight elsewhere."""
    from vitra_assets.in_flight import in_flight_runs, inbox_tick_may_launch

    echo = echo or (lambda line: None)
    span = f"batch {batch.videos[0]}..{batch.videos[-1]} ({len(batch.videos)} videos)"
    tags = {RANGE_START_TAG: batch.videos[0], RANGE_END_TAG: batch.videos[-1], BATCH_SIZE_TAG: str(len(batch.videos))}
    with ExitStack() as locks:
        for video in batch.videos:
            locks.enter_context(file_lock(layout.locks_dir / f"{video}.lock"))
        if in_flight_runs(instance, batch.videos) or inbox_tick_may_launch(instance, batch.videos):
            echo(f"  {span}: a video of it has a run in flight elsewhere; one run per video instead")
            return False
        run = runs.run(run_spec(list(batch.assets), None, tags))
    echo(f"  {span}: {run_line(run)}")
    return run.is_success
