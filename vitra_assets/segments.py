"""`segments`: per video, each hand's atomic actions cut at wrist-speed minima, with motion primitives."""

from collections import Counter

from dagster import (
    AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue, asset,
)

from vitra_assets.batching import PartitionResult, build_each, materialize_each
from vitra_assets.camera_motion import camera_motion
from vitra_assets.hand_poses import hand_poses
from vitra_assets.partitions import source_metadata, videos_partitions
from vitra_assets.resources import VitraConfigResource
from vitra_core.layout import DataLayout
from vitra_core.segments.model import VideoSegments
from vitra_core.segments.stage import CODE_VERSION, SEGMENTS_STAGE, build_segments, segment_problems

SEGMENTS_CHECK = "segments_within_bounds"


@asset(
    partitions_def=videos_partitions,
    deps=[hand_poses, camera_motion],
    code_version=CODE_VERSION,
    group_name="per_video",
    check_specs=[AssetCheckSpec(SEGMENTS_CHECK, asset=SEGMENTS_STAGE, blocking=True,
                                description="Inside the clip, within the length bounds, no overlap per hand.")],
)
def segments(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Atomic actions per hand (VITRA): cuts at local minima of the smoothed 3D wrist speed in the world frame
    (the camera's own rotation removed)."""
    settings = vitra.load().segments
    layout = vitra.layout()
    return materialize_each(context, build_each(context, layout, lambda video_id: _segments_result(
        context, layout, video_id, *build_segments(layout, video_id, settings))))


def _segments_result(context: AssetExecutionContext, layout: DataLayout, video_id: str, result: VideoSegments,
                     covered: float) -> PartitionResult:
    found = result.segments
    problems = segment_problems(result)
    primitives = Counter(p for s in found for p in s.primitives)
    context.log.info(f"{video_id}: {len(found)} segments; primitives {dict(primitives)}")
    return PartitionResult(
        metadata={
            **source_metadata(layout, video_id),
            "segments": len(found),
            "left_segments": sum(s.hand == "left" for s in found),
            "right_segments": sum(s.hand == "right" for s in found),
            "primitives": MetadataValue.json(dict(sorted(primitives.items()))),
            "coverage": round(covered, 4),
            "mean_duration_s": round(sum(s.quality.duration_s for s in found) / len(found), 3) if found else 0.0,
            "table": MetadataValue.md(_segments_table(result)),
        },
        checks=[AssetCheckResult(check_name=SEGMENTS_CHECK, passed=not problems,
                                 metadata={"problems": "; ".join(problems[:10]) or "none"})],
    )


def _segments_table(result: VideoSegments) -> str:
    rows = ["| hand | frames | s | primitives | visible | path m |", "|---|---|---|---|---|---|"]
    for s in result.segments:
        rows.append(f"| {s.hand} | {s.start_frame}-{s.end_frame} | {s.start_s:.2f}-{s.end_s:.2f} | "
                    f"{', '.join(s.primitives)} | {s.quality.visible_fraction:.2f} | {s.quality.path_length_m:.3f} |")
    return "\n".join(rows)
