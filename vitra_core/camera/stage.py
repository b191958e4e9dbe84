"""The `camera_motion` stage for one video: camera poses from the normalised clip and its hand poses.

Writes `motion.npz` (CameraMotion) and `preview.png` (camera path; a wrist before and after
compensation) under data/camera_motion/<video_id>/. The intrinsics are the clip's (sidecar or the
configured default); when they came from no sidecar the stage estimates the field of view itself, and
when that estimate is confident it re-lifts the hand poses' detections with it (`poses.npz`; no
MediaPipe run), which the later stages read through `read_lifted_poses`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vitra_core.camera.compensate import anchor_from_cam
from vitra_core.camera.result import SCHEMA_VERSION, CameraMotion
from vitra_core.camera.settings import CameraMotionSettings
from vitra_core.fsutil import write_bytes_atomic
from vitra_core.hands.result import HandPoses
from vitra_core.hands.stage import HAND_POSES_STAGE, POSES_FILE
from vitra_core.imaging import encode_png
from vitra_core.layout import DataLayout
from vitra_core.video.intrinsics import intrinsics_from_fov
from vitra_core.video.raw_clip import CLIP_FILE, RAW_CLIPS_STAGE, read_clip_meta

ALGORITHM_VERSION = "1"  # bump when the method changes results: marks every camera_motion partition stale
CAMERA_MOTION_STAGE = "camera_motion"
MOTION_FILE, PREVIEW_FILE, LIFTED_POSES_FILE = "motion.npz", "preview.png", "poses.npz"
CODE_VERSION = f"camera-v{ALGORITHM_VERSION}-schema{SCHEMA_VERSION}"


@dataclass(frozen=True)
class CameraMotionOutputs:
    motion: CameraMotion
    folder: Path
    preview_rgb: np.ndarray


def read_camera_motion(layout: DataLayout, video_id: str) -> CameraMotion:
    return CameraMotion.load(layout.stage_dir(CAMERA_MOTION_STAGE, video_id) / MOTION_FILE)


def read_lifted_poses(layout: DataLayout, video_id: str) -> HandPoses:
    """The video's hand poses in the camera the later stages use: re-lifted with the estimated field of
    view when the camera stage estimated one, else the hand_poses stage's own."""
    lifted = layout.stage_dir(CAMERA_MOTION_STAGE, video_id) / LIFTED_POSES_FILE
    return HandPoses.load(lifted if lifted.exists() else layout.stage_dir(HAND_POSES_STAGE, video_id) / POSES_FILE)


def build_camera_motion(layout: DataLayout, video_id: str, settings: CameraMotionSettings) -> CameraMotionOutputs:
    from vitra_core.camera.motion import estimate_camera_motion  # OpenCV, MediaPipe: only in the step
    from vitra_core.camera.preview import render_camera_preview
    from vitra_core.hands.extract import relift_hand_poses

    clip = layout.stage_dir(RAW_CLIPS_STAGE, video_id) / CLIP_FILE
    poses = HandPoses.load(layout.stage_dir(HAND_POSES_STAGE, video_id) / POSES_FILE)
    motion = estimate_camera_motion(clip, poses, read_clip_meta(layout, video_id).intrinsics, settings)
    folder = layout.stage_dir(CAMERA_MOTION_STAGE, video_id)
    motion.save(folder / MOTION_FILE)
    if motion.fov_source == "estimated":
        poses = relift_hand_poses(poses, intrinsics_from_fov(motion.width, motion.height, motion.fov_deg,
                                                             "estimated_fov"))
        poses.save(folder / LIFTED_POSES_FILE)
    else:
        (folder / LIFTED_POSES_FILE).unlink(missing_ok=True)
    preview = render_camera_preview(motion, poses)
    write_bytes_atomic(folder / PREVIEW_FILE, encode_png(preview))
    return CameraMotionOutputs(motion, folder, preview)


def world_from_camera(motion: CameraMotion) -> tuple[np.ndarray, np.ndarray]:
    """(R [T, 3, 3], t [T, 3]) of each frame's camera in the first frame's camera, t in metres or zero (a
    unit-scale translation cannot move metric hand positions)."""
    return anchor_from_cam(motion, 0)
