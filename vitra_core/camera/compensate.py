"""Express what one frame's camera saw in the camera of an anchor frame, with the camera's motion removed.

Rotation is always removed; translation only when the poses are metric (`translation_scale == "metric"`),
since a unit-scale translation cannot be added to metric hand positions.
"""

from __future__ import annotations

import numpy as np

from vitra_core.camera.result import CameraMotion
from vitra_core.camera.rotation import inverse_camera, relative_to


def anchor_from_cam(motion: CameraMotion, anchor: int) -> tuple[np.ndarray, np.ndarray]:
    """(R [T, 3, 3], t [T, 3]) mapping each frame's camera coordinates into the anchor frame's camera.

    t is zero unless the translation is metric.
    """
    metric = motion.translation_scale == "metric"
    translation = motion.t_world_cam if metric else np.zeros((motion.num_frames, 3))
    return relative_to(motion.R_world_cam, translation, motion.R_world_cam[anchor], translation[anchor])


def points_in_anchor(points_cam: np.ndarray, motion: CameraMotion, anchor: int = 0) -> np.ndarray:
    """Points [T, ..., 3] (metres, each in its frame's camera) in the anchor frame's camera."""
    rotations, translations = anchor_from_cam(motion, anchor)
    shape = points_cam.shape
    flat = points_cam.reshape(shape[0], -1, 3)
    moved = np.einsum("tij,tnj->tni", rotations, flat) + translations[:, None, :]
    return moved.reshape(shape)


def pixels_in_anchor(points_px: np.ndarray, motion: CameraMotion, anchor: int = 0) -> np.ndarray:
    """Pixels [T, 2] (one per frame) where the anchor camera would see the same viewing rays.

    Depth-free: exact for the camera's rotation, which is all a pixel can be corrected for.
    """
    k = motion.camera_matrix()
    rotations, _ = anchor_from_cam(motion, anchor)
    rays = np.column_stack([points_px, np.ones(len(points_px))]) @ inverse_camera(k).T
    seen = np.einsum("tij,tj->ti", rotations, rays) @ k.T
    with np.errstate(divide="ignore", invalid="ignore"):
        return seen[:, :2] / seen[:, 2:3]
