"""Chain relative motions into per-frame camera poses in the first frame's camera (the world).

Each frame is measured against the last key frame: while the background has moved less than the static
threshold since then, the frame keeps the key frame's pose exactly (a tripod stays at identity instead of
accumulating noise, and a slow pan still registers once it adds up); a frame that moved is estimated
against the key frame and becomes the next key frame. When the key frame shares too few tracks with the
frame, the previous frame is the reference. A frame whose motion cannot be measured keeps the previous
frame's pose and is marked invalid.

Composition: x_world = R_world_cam[t] x_cam + t_world_cam[t]; a pair (R, t) maps reference-camera points
into frame t's camera, so R_world_cam[t] = R_world_cam[ref] R^T and t_world_cam[t] = t_world_cam[ref] - R_world_cam[t] t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitra_core.camera.features import FeatureTracks
from vitra_core.camera.relative_pose import PairMotion, estimate_pair_motion
from vitra_core.camera.settings import CameraMotionSettings


@dataclass(frozen=True)
class ChainedPoses:
    """R_world_cam [T, 3, 3], t_world_cam [T, 3], valid [T], inlier_ratio [T], pair_model [T] (str),
    num_points [T] (correspondences used for frame t; 0 for frame 0)."""

    R_world_cam: np.ndarray
    t_world_cam: np.ndarray
    valid: np.ndarray
    inlier_ratio: np.ndarray
    pair_model: np.ndarray
    num_points: np.ndarray


def chain_poses(tracks: FeatureTracks, camera_matrix: np.ndarray, settings: CameraMotionSettings) -> ChainedPoses:
    count = tracks.num_frames
    rotations = np.repeat(np.eye(3)[None], count, axis=0)
    translations = np.zeros((count, 3))
    valid = np.ones(count, bool)
    inlier_ratio = np.ones(count)
    models = np.full(count, "first", dtype="<U9")
    num_points = np.zeros(count, np.int64)
    key = 0
    for t in range(1, count):
        reference = key
        points_a, points_b = tracks.correspondences(reference, t)
        if len(points_a) < settings.min_inliers and reference != t - 1:
            reference = t - 1
            points_a, points_b = tracks.correspondences(reference, t)
        pair: PairMotion = estimate_pair_motion(points_a, points_b, camera_matrix, settings)
        models[t], inlier_ratio[t], num_points[t] = pair.model, pair.inlier_ratio, len(points_a)
        if not pair.valid:
            rotations[t], translations[t], valid[t] = rotations[t - 1], translations[t - 1], False
            continue
        rotations[t] = rotations[reference] @ pair.rotation.T
        translations[t] = translations[reference] - rotations[t] @ pair.translation
        if pair.model != "static":
            key = t
    return ChainedPoses(rotations, translations, valid, inlier_ratio, models, num_points)
