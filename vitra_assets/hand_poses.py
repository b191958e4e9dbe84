"""`hand_poses`: per video, 2D/3D joints and the 51-number state of both hands (vitra_core.hands)."""

import hashlib

from dagster import (
    AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, MaterializeResult,
    MetadataValue, asset,
)

from vitra_assets.batching import PartitionResult, build_each, materialize_each
from vitra_assets.metadata import image_markdown
from vitra_assets.partitions import source_metadata, videos_partitions
from vitra_assets.raw_clips import raw_clips
from vitra_assets.resources import VitraConfigResource
from vitra_core.hands.figures import HandFigures
from vitra_core.hands.stage import (
    CODE_VERSION, HAND_POSES_STAGE, POSES_FILE, PREVIEW_FILE, HandPoseOutputs, build_hand_poses,
)
from vitra_core.imaging import encode_jpeg
from vitra_core.layout import DataLayout

NO_NAN_CHECK = "no_nan_where_present"
DETECTION_RATE_CHECK = "detection_rate_above_floor"


def _hand_metadata(side: str, hand: HandFigures) -> dict:
    return {
        f"{side}_detection_rate": round(hand.detection_rate, 4),
        f"{side}_presence_rate": round(hand.presence_rate, 4),
        f"{side}_interpolated_frames": hand.interpolated_frames,
        f"{side}_mean_confidence": round(hand.mean_confidence, 4) if hand.mean_confidence is not None else "-",
        f"{side}_jitter_mm": round(hand.jitter_mm, 3) if hand.jitter_mm is not None else "-",
    }


@asset(
    partitions_def=videos_partitions,
    deps=[raw_clips],
    code_version=CODE_VERSION,
    group_name="per_video",
    kinds={"mediapipe", "numpy"},
    check_specs=[
        AssetCheckSpec(NO_NAN_CHECK, asset=HAND_POSES_STAGE, blocking=True,
                       description="No NaN in 2D joints, 3D joints or state wherever a hand is present."),
        AssetCheckSpec(DETECTION_RATE_CHECK, asset=HAND_POSES_STAGE,
                       description="Enough frames show a hand (hands.min_detection_rate); warns otherwise."),
    ],
)
def hand_poses(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """MediaPipe hands in tracking mode, lifted to camera space (metres) and fitted to a MANO-layout skeleton."""
    cfg = vitra.load()
    layout = vitra.layout()
    built = build_each(context, layout, lambda video_id: _hand_result(
        context, layout, video_id, build_hand_poses(layout, video_id, cfg.hands.extraction, cfg.hands.overlay_clip),
        cfg.hands.min_detection_rate))
    return materialize_each(context, built)


def _hand_result(context: AssetExecutionContext, layout: DataLayout, video_id: str, out: HandPoseOutputs,
                 floor: float) -> PartitionResult:
    figures = out.figures
    context.log.info(
        f"{video_id}: {figures.frames} frames; hands detected in {figures.any_hand_rate:.0%} "
        f"(left {figures.left.detection_rate:.0%}, right {figures.right.detection_rate:.0%})"
    )
    return PartitionResult(
        data_version=hashlib.sha256((out.folder / POSES_FILE).read_bytes()).hexdigest()[:16],
        metadata={
            **source_metadata(layout, video_id),
            "preview": image_markdown(encode_jpeg(out.preview_rgb, max_width=720), "hands on frames"),
            "preview_path": MetadataValue.path(str(out.folder / PREVIEW_FILE)),
            "poses_path": MetadataValue.path(str(out.folder / POSES_FILE)),
            "frames": figures.frames,
            "fps": figures.fps,
            "any_hand_rate": round(figures.any_hand_rate, 4),
            **_hand_metadata("left", figures.left),
            **_hand_metadata("right", figures.right),
            "mirrored": out.poses.mirrored,
            "intrinsics_source": out.poses.intrinsics.source,
        },
        checks=[
            AssetCheckResult(
                check_name=NO_NAN_CHECK, passed=figures.nan_where_present == 0,
                metadata={"hand_frames_with_nan": figures.nan_where_present},
            ),
            AssetCheckResult(
                check_name=DETECTION_RATE_CHECK, passed=figures.any_hand_rate >= floor,
                severity=AssetCheckSeverity.WARN,
                metadata={"any_hand_rate": round(figures.any_hand_rate, 4), "floor": floor},
            ),
        ],
    )
