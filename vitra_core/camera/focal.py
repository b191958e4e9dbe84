"""Focal length (field of view) from the clip itself, for videos whose intrinsics nobody stated.

Only a rotating camera reveals its focal length: frame pairs related by a pure rotation satisfy
x_b ~ K R K^-1 x_a exactly at the true focal and not at a wrong one (the image-edge terms x^2 theta / f
disagree). So: pick pairs up to `fov_pair_gap_frames` apart whose MAGSAC homography explains most tracks,
sweep the focal over `fov_min_deg`..`fov_max_deg` (principal point at the image centre), fit the best
rotation at each focal and record the RMS pixel residual on the homography inliers. A pair is informative
when its residual curve has an interior minimum no worse than `fov_max_residual_px` (a translating camera
or a plane seen while moving fits no rotation) and its rotation there swings the optical axis at least
`fov_min_pair_rotation_deg` (roll alone says nothing about focal). The estimate is the minimum of the summed
curves of informative pairs; it is accepted when at least `fov_min_pairs` pairs agree within
`fov_max_spread` (median absolute deviation of their log-focals).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from pydantic import BaseModel

from vitra_core.camera.features import FeatureTracks
from vitra_core.camera.relative_pose import median_displacement_px
from vitra_core.camera.rotation import (
    bearings,
    fit_rotation,
    optical_axis_turn_deg,
    rotation_residual_px,
)
from vitra_core.camera.settings import CameraMotionSettings

SWEEP_STEPS = 61
_TRUNCATE_PX = 3.0  # a residual counts at most this much: one stray track must not move the curve
_MIN_PAIR_MOTION_PX = 2.0  # pairs that moved less carry no focal information worth the fit


class FocalEstimate(BaseModel):
    """The focal length found (pixels, long-side field of view) and how far to trust it."""

    focal_px: float | None
    fov_deg: float | None
    pairs: int  # informative pairs
    spread: float | None  # median absolute deviation of the pairs' log-focals (~ relative disagreement)
    accepted: bool
    reason: str


def focal_from_fov(long_side_px: int, fov_deg: float) -> float:
    return long_side_px / (2 * math.tan(math.radians(fov_deg) / 2))


def fov_from_focal(long_side_px: int, focal_px: float) -> float:
    return math.degrees(2 * math.atan(long_side_px / (2 * focal_px)))


def _camera(focal: float, cx: float, cy: float) -> np.ndarray:
    return np.array([[focal, 0, cx], [0, focal, cy], [0, 0, 1.0]])


def _pairs(tracks: FeatureTracks, settings: CameraMotionSettings) -> list[tuple[np.ndarray, np.ndarray]]:
    """Homography-inlier correspondences of frame pairs up to the gap apart (start every half gap)."""
    gap = settings.fov_pair_gap_frames
    chosen = []
    for a in range(0, max(tracks.num_frames - 1, 0), max(gap // 2, 1)):
        for b in range(min(a + gap, tracks.num_frames - 1), a, -1):
            points_a, points_b = tracks.correspondences(a, b)
            if len(points_a) >= 2 * settings.min_inliers:
                break
        else:
            continue
        if median_displacement_px(points_a, points_b) < _MIN_PAIR_MOTION_PX:
            continue
        points_a, points_b = points_a.astype(np.float64), points_b.astype(np.float64)
        homography, mask = cv2.findHomography(points_a, points_b, cv2.USAC_MAGSAC, settings.inlier_px)
        if homography is None or mask is None:
            continue
        inliers = mask.ravel().astype(bool)
        if inliers.sum() >= settings.min_inliers and inliers.mean() >= settings.min_inlier_ratio:
            chosen.append((points_a[inliers], points_b[inliers]))
    return chosen


def _residual_curve(points_a: np.ndarray, points_b: np.ndarray, focals: np.ndarray, cx: float, cy: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(RMS residual px [F], optical-axis turn deg [F]) of the best pure rotation at each focal."""
    rms, turn = np.empty(len(focals)), np.empty(len(focals))
    for i, focal in enumerate(focals):
        camera = _camera(focal, cx, cy)
        rotation = fit_rotation(bearings(points_a, camera), bearings(points_b, camera))
        residual = np.minimum(rotation_residual_px(rotation, points_a, points_b, camera), _TRUNCATE_PX)
        rms[i], turn[i] = math.sqrt(float(np.mean(residual**2))), optical_axis_turn_deg(rotation)
    return rms, turn


def _refined_minimum(log_focals: np.ndarray, cost: np.ndarray) -> tuple[int, float]:
    """(grid index, parabola-refined log-focal) of the curve's minimum."""
    i = int(np.argmin(cost))
    if 0 < i < len(cost) - 1:
        denom = cost[i - 1] - 2 * cost[i] + cost[i + 1]
        if denom > 0:
            step = log_focals[1] - log_focals[0]
            return i, float(log_focals[i] + 0.5 * step * (cost[i - 1] - cost[i + 1]) / denom)
    return i, float(log_focals[i])


def estimate_focal(tracks: FeatureTracks, cx: float, cy: float, settings: CameraMotionSettings) -> FocalEstimate:
    """The clip's focal length from rotation-dominant pairs of `tracks`, with whether to trust it."""
    long_side = max(tracks.width, tracks.height)
    log_focals = np.linspace(math.log(focal_from_fov(long_side, settings.fov_max_deg)),
                             math.log(focal_from_fov(long_side, settings.fov_min_deg)), SWEEP_STEPS)
    focals = np.exp(log_focals)
    informative_costs, pair_log_focals = [], []
    for points_a, points_b in _pairs(tracks, settings):
        rms, turn = _residual_curve(points_a, points_b, focals, cx, cy)
        i, log_focal = _refined_minimum(log_focals, rms)
        interior = 0 < i < len(focals) - 1
        if interior and rms[i] <= settings.fov_max_residual_px and turn[i] >= settings.fov_min_pair_rotation_deg:
            informative_costs.append(len(points_a) * rms**2)
            pair_log_focals.append(log_focal)
    pairs = len(pair_log_focals)
    if pairs == 0:
        return FocalEstimate(focal_px=None, fov_deg=None, pairs=0, spread=None, accepted=False,
                             reason="no frame pair turns the camera enough while fitting a pure rotation")
    i, log_focal = _refined_minimum(log_focals, np.sum(informative_costs, axis=0))
    focal = math.exp(log_focal)
    spread = float(np.median(np.abs(np.asarray(pair_log_focals) - np.median(pair_log_focals))))
    estimate = dict(focal_px=focal, fov_deg=fov_from_focal(long_side, focal), pairs=pairs, spread=spread)
    if not 0 < i < len(focals) - 1:
        return FocalEstimate(**estimate, accepted=False, reason="the best focal lies at the end of the sweep")
    if pairs < settings.fov_min_pairs:
        return FocalEstimate(**estimate, accepted=False, reason=f"only {pairs} informative pairs")
    if spread > settings.fov_max_spread:
        return FocalEstimate(**estimate, accepted=False, reason=f"pairs disagree (spread {spread:.2f})")
    return FocalEstimate(**estimate, accepted=True, reason=f"{pairs} pairs agree (spread {spread:.3f})")
