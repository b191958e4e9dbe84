"""Partitions: one per video, keyed by the video's content id; the source file name rides along as a label."""

from __future__ import annotations

from dagster import AssetsDefinition, BackfillPolicy, DynamicPartitionsDefinition

from vitra_core.layout import DataLayout

VIDEOS = "videos"
videos_partitions = DynamicPartitionsDefinition(name=VIDEOS)


def batched(assets: list[AssetsDefinition], batch_size: int) -> list[AssetsDefinition]:
    """The per-video assets with a multi-run backfill policy: a backfill (from the UI or `vitra backfill`) runs
    up to `batch_size` videos per run, each asset one step over all of them (vitra_assets/batching.py)."""
    policy = BackfillPolicy.multi_run(max_partitions_per_run=batch_size)
    return [asset.with_attributes(backfill_policy=policy) for asset in assets]

# Run tag naming the source file of a run's video partition (the key stays the content id: identical bytes
# under two names are one video, a renamed file is not a new one).
SOURCE_TAG = "vitra/source"
_MAX_TAG_CHARS = 200


def source_name(layout: DataLayout, video_id: str) -> str | None:
    """The file name the video was ingested under (its source record in data/raw), or None if unknown."""
    from vitra_core.video.raw_clip import read_source_record

    try:
        return read_source_record(layout, video_id).source_name
    except (FileNotFoundError, ValueError):
        return None


def source_tags(layout: DataLayout, video_id: str) -> dict[str, str]:
    """`{"vitra/source": <file name>}` for a run of this video's partition (empty when the name is unknown)."""
    name = source_name(layout, video_id)
    return {SOURCE_TAG: name[:_MAX_TAG_CHARS]} if name else {}


def source_metadata(layout: DataLayout, video_id: str) -> dict[str, str]:
    """`source_name` for a per-video asset's materialization metadata (the partition's readable label)."""
    return {"source_name": source_name(layout, video_id) or "-"}
