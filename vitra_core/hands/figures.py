"""Quality figures of one video's hand poses: what a person auditing the stage looks at first."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from vitra_core.hands.result import HandPoses


class HandFigures(BaseModel):
    """Figures of one hand slot; rates are fractions of the video's frames."""

    detection_rate: float
    presence_rate: float
    interpolated_frames: int
    mean_confidence: float | None
    jitter_mm: float | None


class HandPoseFigures(BaseModel):
    frames: int
    fps: float
    any_hand_rate: float
    left: HandFigures
    right: HandFigures
    nan_where_present: int


def jitter_mm(joints_cam: np.ndarray, mask: np.ndarray) -> float | None:
    """Median over frames of the mean joint acceleration |x[t+1] - 2 x[t] + x[t-1]| in mm.

    joints_cam [T, 21, 3] in metres, mask [T]; only triples of present frames count.
    None when no three consecutive frames show the hand.
    """
    if len(mask) < 3:
        return None
    both = mask[:-2] & mask[1:-1] & mask[2:]
    if not both.any():
        return None
    accel = joints_cam[2:] - 2 * joints_cam[1:-1] + joints_cam[:-2]
    per_frame = np.linalg.norm(accel[both], axis=-1).mean(axis=-1)
    return float(np.median(per_frame) * 1000)


def _hand(poses: HandPoses, hand: int) -> HandFigures:
    mask = poses.mask[:, hand]
    confidence = poses.confidence[mask, hand]
    return HandFigures(
        detection_rate=float(poses.detected[:, hand].mean()) if poses.num_frames else 0.0,
        presence_rate=float(mask.mean()) if poses.num_frames else 0.0,
        interpolated_frames=int(poses.interpolated[:, hand].sum()),
        mean_confidence=float(confidence.mean()) if confidence.size else None,
        jitter_mm=jitter_mm(poses.joints_cam[:, hand], mask),
    )


def count_nan_where_present(poses: HandPoses) -> int:
    """Hand-frames that are present but hold a NaN in 2D joints, 3D joints or state (must be 0)."""
    bad = (
        ~np.isfinite(poses.joints_2d).all(axis=(-2, -1))
        | ~np.isfinite(poses.joints_cam).all(axis=(-2, -1))
        | ~np.isfinite(poses.state).all(axis=-1)
    )
    return int((bad & poses.mask).sum())


def hand_pose_figures(poses: HandPoses) -> HandPoseFigures:
    return HandPoseFigures(
        frames=poses.num_frames,
        fps=poses.fps,
        any_hand_rate=float(poses.detected.any(axis=1).mean()) if poses.num_frames else 0.0,
        left=_hand(poses, 0),
        right=_hand(poses, 1),
        nan_where_present=count_nan_where_present(poses),
    )
