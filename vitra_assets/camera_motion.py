"""`camera_motion`: per video, each frame's camera pose relative to the first frame, and the field of view."""

import hashlib

import numpy as np
from dagster import (
    AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, MaterializeResult,
    MetadataValue, asset,
)

from vitra_assets.batching import PartitionResult, build_each, materialize_each
from vitra_assets.hand_poses import hand_poses
from vitra_assets.metadata import image_markdown
from vitra_assets.partitions import source_metadata, videos_partitions
from vitra_assets.resources import VitraConfigResource
from vitra_core.camera.rotation import rotation_angle_deg
from vitra_core.camera.stage import (
    CAMERA_MOTION_STAGE, CODE_VERSION, MOTION_FILE, PREVIEW_FILE, CameraMotionOutputs, build_camera_motion,
)
from vitra_core.imaging import encode_jpeg
from vitra_core.layout import DataLayout

VALID_CHECK = "motion_measured_on_most_frames"
MIN_VALID_SHARE = 0.8  # below it, more than one frame in five holds its previous pose: camera compensation is guesswork


@asset(
    partitions_def=videos_partitions,
    deps=[hand_poses],
    code_version=CODE_VERSION,
    group_name="per_video",
    kinds={"opencv", "numpy"},
    check_specs=[AssetCheckSpec(VALID_CHECK, asset=CAMERA_MOTION_STAGE,
                                description=f"The motion into at least {MIN_VALID_SHARE:.0%} of frames was measured "
                                            "(static, rotation or essential model); warns otherwise.")],
)
def camera_motion(context: AssetExecutionContext, vitra: VitraConfigResource) -> MaterializeResult:
    """Background features around the hands, per-pair rotation (homography-like or essential matrix), chained
    into camera-to-world poses (world = the first frame's camera); the field of view when no sidecar gives it."""
    settings = vitra.load().camera_motion
    layout = vitra.layout()
    return materialize_each(context, build_each(context, layout, lambda video_id: _motion_result(
        context, layout, video_id, build_camera_motion(layout, video_id, settings))))


def _motion_result(context: AssetExecutionContext, layout: DataLayout, video_id: str,
                   out: CameraMotionOutputs) -> PartitionResult:
    motion = out.motion
    angles = rotation_angle_deg(motion.R_world_cam)
    valid_share = float(motion.valid.mean())
    models = {m: int((motion.pair_model == m).sum()) for m in ("static", "rotation", "essential", "failed")}
    context.log.info(f"{video_id}: {motion.num_frames} frames; max rotation {angles.max():.1f} deg; "
                     f"fov {motion.fov_deg:.1f} deg ({motion.fov_source}); pairs {models}")
    return PartitionResult(
        data_version=hashlib.sha256((out.folder / MOTION_FILE).read_bytes()).hexdigest()[:16],
        metadata={
            **source_metadata(layout, video_id),
            "preview": image_markdown(encode_jpeg(out.preview_rgb, max_width=1080),
                                      "camera angles, path from above, wrist before/after compensation"),
            "preview_path": MetadataValue.path(str(out.folder / PREVIEW_FILE)),
            "motion_path": MetadataValue.path(str(out.folder / MOTION_FILE)),
            "frames": motion.num_frames,
            "max_rotation_deg": round(float(angles.max()), 2),
            "median_inlier_ratio": round(float(np.median(motion.inlier_ratio[1:])) if motion.num_frames > 1 else 1.0, 3),
            "valid_share": round(valid_share, 3),
            "pair_models": MetadataValue.json(models),
            "fov_deg": round(motion.fov_deg, 2),
            "fov_source": motion.fov_source,
            "translation_scale": motion.translation_scale,
        },
        checks=[AssetCheckResult(check_name=VALID_CHECK, passed=valid_share >= MIN_VALID_SHARE,
                                 severity=AssetCheckSeverity.WARN,
                                 metadata={"valid_share": round(valid_share, 3), "floor": MIN_VALID_SHARE})],
    )
