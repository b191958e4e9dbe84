"""`estimate_camera_motion`: decode once, track the background around the hands, find the field of view
if nobody stated it, and chain per-frame motions into poses relative to the first frame."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from vitra_core.camera.chain import chain_poses
from vitra_core.camera.features import track_features
from vitra_core.camera.focal import estimate_focal, fov_from_focal
from vitra_core.camera.hand_mask import hands_mask
from vitra_core.camera.result import CameraMotion, FovSource
from vitra_core.camera.settings import CameraMotionSettings
from vitra_core.hands.result import HandPoses
from vitra_core.video.frames import iter_frames
from vitra_core.video.intrinsics import Intrinsics
from vitra_core.video.sidecar import sidecar_intrinsics


def _mask_source(poses: HandPoses | None, settings: CameraMotionSettings) -> Callable[[int, int, int], np.ndarray | None]:
    """Frame t's hands-and-forearms mask from the hand poses (None where no hand is present)."""
    def mask_of(t: int, width: int, height: int) -> np.ndarray | None:
        if poses is None or t >= poses.num_frames or not poses.mask[t].any():
            return None
        return hands_mask(poses.joints_2d[t], poses.mask[t], width, height,
                          settings.hand_mask_dilation, settings.forearm_palm_lengths)
    return mask_of


def _stated_camera(video_path: Path, poses: HandPoses | None, intrinsics: Intrinsics | None,
                   width: int, height: int, settings: CameraMotionSettings) -> Intrinsics:
    """The given intrinsics, else those the hand poses used, else the sidecar's, else the default fov."""
    camera = intrinsics or (poses.intrinsics if poses is not None else None)
    if camera is None:
        return sidecar_intrinsics(video_path, width, height, settings.default_fov_deg)
    return camera.scaled_to(width, height)


def estimate_camera_motion(
    video_path: Path | str, poses: HandPoses | None = None, intrinsics: Intrinsics | None = None,
    settings: CameraMotionSettings | None = None,
) -> CameraMotion:
    """Per-frame camera pose of `video_path` relative to its first frame (see CameraMotion).

    `poses` (of the same video) masks the hands out of the background; `intrinsics` override the sidecar;
    `settings` default to `CameraMotionSettings()`.
    """
    settings = settings or CameraMotionSettings()
    video_path = Path(video_path)
    timestamps: list[float] = []

    def grays() -> Iterator[np.ndarray]:
        for frame in iter_frames(video_path):
            timestamps.append(frame.timestamp_s)
            yield cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)

    tracks = track_features(grays(), _mask_source(poses, settings), settings)
    width, height = tracks.width, tracks.height
    if poses is not None and poses.num_frames != tracks.num_frames:
        raise ValueError(f"{video_path.name}: hand poses have {poses.num_frames} frames, the video {tracks.num_frames}")
    stated = _stated_camera(video_path, poses, intrinsics, width, height, settings)
    focal, source, estimate = (stated.fx + stated.fy) / 2, _source_of(stated), None
    if source == "default" and settings.estimate_fov:
        estimate = estimate_focal(tracks, stated.cx, stated.cy, settings)
        if estimate.accepted:
            focal, source = estimate.focal_px, "estimated"
    camera_matrix = np.array([[focal, 0, stated.cx], [0, focal, stated.cy], [0, 0, 1.0]])
    chained = chain_poses(tracks, camera_matrix, settings)
    return CameraMotion(
        R_world_cam=chained.R_world_cam, t_world_cam=chained.t_world_cam, valid=chained.valid,
        inlier_ratio=chained.inlier_ratio, pair_model=chained.pair_model, num_points=chained.num_points,
        timestamps_s=np.asarray(timestamps, np.float64), focal_px=float(focal), cx=stated.cx, cy=stated.cy,
        width=width, height=height, fov_deg=fov_from_focal(max(width, height), focal), fov_source=source,
        translation_scale="unit", focal_estimate=estimate, settings=settings,
    )


def _source_of(camera: Intrinsics) -> FovSource:
    return "default" if camera.source == "default_fov" else "sidecar"
