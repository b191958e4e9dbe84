"""The inbox: one scan shared by the sensor (daemon) and `vitra ingest` (CLI)."""

from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, sensor

from vitra_assets.partitions import VIDEOS, source_tags, videos_partitions
from vitra_assets.resources import VitraConfigResource
from vitra_core.config import VitraConfig
from vitra_core.layout import DataLayout
from vitra_core.video.ingest import IngestOutcome, scan_inbox


@dataclass(frozen=True)
class InboxScan:
    outcomes: list[IngestOutcome]
    new_video_ids: list[str]


def scan_for_new_videos(
    cfg: VitraConfig, instance: DagsterInstance, ready: frozenset[Path] = frozenset()
) -> InboxScan:
    """Ingest settled inbox files, then list stored videos that have no partition yet.

    Comparing the raw store with the partitions (rather than trusting this scan alone) also
    registers a video whose earlier scan stopped between storing it and adding its partition.
    Files in `ready` (what the CLI itself just put into the inbox, atomically) need no settle time;
    every other file waits until it has been unchanged for `inbox.settle_s`.
    """
    layout = DataLayout(cfg.data_root)
    outcomes = scan_inbox(
        cfg.inbox_dir, layout, cfg.inbox.settle_s, cfg.inbox.max_files_per_tick, cfg.media_limits, ready
    )
    known = set(instance.get_dynamic_partitions(VIDEOS))
    return InboxScan(outcomes, [v for v in layout.raw_video_ids() if v not in known])


def log_outcome(log, outcome: IngestOutcome) -> None:
    if outcome.status in ("quarantined", "failed"):
        log.warning(f"{outcome.status}: {outcome.reason}")
    else:
        log.info(f"{outcome.status}: {outcome.source_name} -> {outcome.video_id}")


def build_inbox_sensor(poll_interval_s: int, per_video_job):
    @sensor(
        name="inbox_sensor",
        job=per_video_job,
        minimum_interval_seconds=poll_interval_s,
        default_status=DefaultSensorStatus.RUNNING,
        description="Ingests new files from the inbox: one `videos` partition and one run of the per-video stages per "
                    "new video, tagged `vitra/source` with the file name.",
    )
    def inbox_sensor(context: SensorEvaluationContext, vitra: VitraConfigResource) -> SensorResult:
        cfg = vitra.load()
        scan = scan_for_new_videos(cfg, context.instance)
        for outcome in scan.outcomes:
            log_outcome(context.log, outcome)
        new = scan.new_video_ids
        layout = DataLayout(cfg.data_root)
        return SensorResult(
            run_requests=[RunRequest(partition_key=v, run_key=f"ingest-{v}", tags=source_tags(layout, v)) for v in new],
            dynamic_partitions_requests=[videos_partitions.build_add_request(new)] if new else [],
        )

    return inbox_sensor
