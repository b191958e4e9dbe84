"""Where a hand acts in the view, for captions: image region of the wrist and its direction of motion.

Region: the mean 2D wrist position over the segment's last fifth (where the action ends), in thirds of
the image (poses.intrinsics.width/height): left/centre/right by top/middle/bottom. Lateral motion:
the wrist's image-x change over the segment, if at least a tenth of the image width. Depth: the
camera-space z change, if at least 4 cm (toward the camera when z decreases).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from vitra_core.hands.result import HandPoses
from vitra_core.hands.skeleton import WRIST

LATERAL_MIN_FRACTION = 0.1
DEPTH_MIN_M = 0.04
END_FRACTION = 0.2


@dataclass(frozen=True)
class SpatialContext:
    horizontal: Literal["left", "centre", "right"]
    vertical: Literal["top", "middle", "bottom"]
    lateral: Literal["left", "right"] | None
    depth: Literal["toward", "away"] | None


def _third(value: float, size: float, names: tuple[str, str, str]) -> str:
    return names[min(2, max(0, int(3 * value / size)))] if size > 0 and np.isfinite(value) else names[1]


def spatial_context(poses: HandPoses, hand: int, start_frame: int, end_frame: int) -> SpatialContext:
    """The context of hand slot `hand` over frames [start_frame, end_frame)."""
    present = np.flatnonzero(poses.mask[start_frame:end_frame, hand]) + start_frame
    if len(present) == 0:
        return SpatialContext("centre", "middle", None, None)
    k = max(1, int(round(END_FRACTION * len(present))))
    wrist_px = poses.joints_2d[:, hand, WRIST]
    end_px = wrist_px[present[-k:]].mean(axis=0)
    width, height = poses.intrinsics.width, poses.intrinsics.height
    dx_px = float(end_px[0] - wrist_px[present[:k]].mean(axis=0)[0])
    dz_m = float(poses.joints_cam[present[-k:], hand, WRIST, 2].mean() - poses.joints_cam[present[:k], hand, WRIST, 2].mean())
    lateral = None
    if abs(dx_px) >= LATERAL_MIN_FRACTION * width:
        lateral = "right" if dx_px > 0 else "left"
    depth = None
    if abs(dz_m) >= DEPTH_MIN_M:
        depth = "away" if dz_m > 0 else "toward"
    return SpatialContext(
        horizontal=_third(float(end_px[0]), width, ("left", "centre", "right")),  # type: ignore[arg-type]
        vertical=_third(float(end_px[1]), height, ("top", "middle", "bottom")),  # type: ignore[arg-type]
        lateral=lateral, depth=depth,
    )
