"""Relative motion of the camera between two frames from background correspondences, robustly.

Three models, tried in order of fewer degrees of freedom:
  - static: the median displacement is below `static_median_px`; rotation identity, no translation.
  - rotation (3 dof): H = K R K^-1, seeded from a MAGSAC homography projected to SO(3) and refined on its
    inliers; translation is not observable and set to zero.
  - essential (5 dof): MAGSAC essential matrix, decomposed, checked for points in front; translation is scaled so the median depth of
    the triangulated inliers is 1 (units of the background's depth).
Rotation wins when its median pixel residual is at most `max_parallax_px`: the translation's parallax is
then below the tracking noise, the essential matrix is (near-)degenerate and its rotation unreliable. A relative pose maps
camera-a coordinates into camera b: x_b = R x_a + t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from vitra_core.camera.rotation import (
    bearings,
    fit_rotation,
    inverse_camera,
    nearest_rotation,
    rotation_angle_deg,
    rotation_residual_px,
)
from vitra_core.camera.settings import CameraMotionSettings

PairModel = Literal["static", "rotation", "essential", "failed"]
_REFINE_ROUNDS = 3
_MAGSAC_CONFIDENCE = 0.999


@dataclass(frozen=True)
class PairMotion:
    rotation: np.ndarray  # [3, 3] camera a -> camera b
    translation: np.ndarray  # [3] in units of the median background depth (zero unless essential)
    model: PairModel
    inliers: int
    inlier_ratio: float
    median_displacement_px: float

    @property
    def valid(self) -> bool:
        return self.model != "failed"


def median_displacement_px(points_a: np.ndarray, points_b: np.ndarray) -> float:
    return float(np.median(np.linalg.norm(points_b - points_a, axis=1))) if len(points_a) else float("nan")


def fit_pure_rotation(points_a: np.ndarray, points_b: np.ndarray, camera_matrix: np.ndarray,
                      inlier_px: float) -> tuple[np.ndarray, np.ndarray]:
    """(R [3, 3], inlier mask [N]) of the pure rotation best explaining the pixel correspondences."""
    homography, _ = cv2.findHomography(points_a, points_b, cv2.USAC_MAGSAC, inlier_px, confidence=_MAGSAC_CONFIDENCE)
    rays_a, rays_b = bearings(points_a, camera_matrix), bearings(points_b, camera_matrix)
    if homography is None:
        rotation = fit_rotation(rays_a, rays_b)
    else:
        k_inv = inverse_camera(camera_matrix)
        rotation = nearest_rotation(k_inv @ homography @ camera_matrix)
    inliers = rotation_residual_px(rotation, points_a, points_b, camera_matrix) < inlier_px
    for _ in range(_REFINE_ROUNDS):
        if inliers.sum() < 3:
            break
        rotation = fit_rotation(rays_a[inliers], rays_b[inliers])
        inliers = rotation_residual_px(rotation, points_a, points_b, camera_matrix) < inlier_px
    return rotation, inliers


def _essential(points_a: np.ndarray, points_b: np.ndarray, camera_matrix: np.ndarray, inlier_px: float,
               rotation_hint: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(R, t scaled to unit median depth, inlier mask) from the essential matrix, or None if it fails.

    Of the essential matrix's two rotations the one nearer the pure-rotation fit is taken: with a small
    baseline the cheirality test recoverPose relies on cannot tell them apart (the "twisted pair" is a
    half turn away), while the pure-rotation fit is never far from the truth.
    """
    essential, mask = cv2.findEssentialMat(points_a, points_b, camera_matrix, cv2.USAC_MAGSAC,
                                           _MAGSAC_CONFIDENCE, inlier_px)
    if essential is None or essential.shape != (3, 3) or mask is None:
        return None
    inliers = mask.ravel().astype(bool)
    if inliers.sum() < 5:
        return None
    first, second, direction = cv2.decomposeEssentialMat(essential)
    rotation = min((first, second), key=lambda r: rotation_angle_deg(r @ rotation_hint.T))
    best = None
    for sign in (1.0, -1.0):
        depths = _depths(points_a[inliers], points_b[inliers], rotation, sign * direction.ravel(), camera_matrix)
        in_front = int(((depths[0] > 0) & (depths[1] > 0)).sum())
        if best is None or in_front > best[0]:
            best = (in_front, sign * direction.ravel(), depths[0][(depths[0] > 0) & (depths[1] > 0)])
    in_front, direction, depth_a = best
    if in_front < 5:
        return None
    return rotation, direction / float(np.median(depth_a)), inliers


def _depths(points_a: np.ndarray, points_b: np.ndarray, rotation: np.ndarray, direction: np.ndarray,
            camera_matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depths [N] in camera a and in camera b of the points triangulated with a unit baseline."""
    proj_a = camera_matrix @ np.hstack([np.eye(3), np.zeros((3, 1))])
    proj_b = camera_matrix @ np.hstack([rotation, direction.reshape(3, 1)])
    homogeneous = cv2.triangulatePoints(proj_a, proj_b, points_a.T.astype(np.float64), points_b.T.astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        in_a = (homogeneous[:3] / homogeneous[3]).T
    in_b = in_a @ rotation.T + direction
    return np.nan_to_num(in_a[:, 2], nan=-1.0), np.nan_to_num(in_b[:, 2], nan=-1.0)


def estimate_pair_motion(points_a: np.ndarray, points_b: np.ndarray, camera_matrix: np.ndarray,
                         settings: CameraMotionSettings) -> PairMotion:
    """The camera's motion from frame a to frame b given the same background points [N, 2] in both."""
    count = len(points_a)
    moved = median_displacement_px(points_a, points_b)
    identity, zero = np.eye(3), np.zeros(3)
    if count < settings.min_inliers:
        return PairMotion(identity, zero, "failed", count, 0.0, moved)
    if moved < settings.static_median_px:
        still = np.linalg.norm(points_b - points_a, axis=1) < settings.inlier_px
        return PairMotion(identity, zero, "static", int(still.sum()), float(still.mean()), moved)
    points_a, points_b = points_a.astype(np.float64), points_b.astype(np.float64)
    rotation, rot_inliers = fit_pure_rotation(points_a, points_b, camera_matrix, settings.inlier_px)
    parallax = float(np.median(rotation_residual_px(rotation, points_a, points_b, camera_matrix)))
    essential = None if parallax <= settings.max_parallax_px else _essential(points_a, points_b, camera_matrix,
                                                                          settings.inlier_px, rotation)
    if essential is not None:
        rotation, translation, inliers, model = *essential, "essential"
    else:
        translation, inliers, model = zero, rot_inliers, "rotation"
    kept = int(inliers.sum())
    ratio = kept / count
    if kept < settings.min_inliers or ratio < settings.min_inlier_ratio:
        return PairMotion(identity, zero, "failed", kept, ratio, moved)
    return PairMotion(rotation, translation, model, kept, ratio, moved)
