"""Pinhole camera intrinsics for a clip: from the video's sidecar, else a default field of view.

A field of view is measured across the image's long side, which stays the same when a phone turns.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel

from vitra_core.video.sidecar import VideoSidecar

IntrinsicsSource = Literal["sidecar_pinhole", "sidecar_fov", "default_fov", "estimated_fov"]
DEFAULT_FOV_DEG = 60.0  # across the long side; used when a video states no intrinsics


class Intrinsics(BaseModel):
    """Intrinsics at a given resolution, and where they came from."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    source: IntrinsicsSource

    @property
    def fov_x_deg(self) -> float:
        return math.degrees(2 * math.atan(self.width / (2 * self.fx)))

    @property
    def fov_y_deg(self) -> float:
        return math.degrees(2 * math.atan(self.height / (2 * self.fy)))

    def matrix(self) -> np.ndarray:
        """The 3x3 camera matrix K."""
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=np.float64)

    def scaled_to(self, width: int, height: int) -> "Intrinsics":
        """The same camera at another resolution (a resize scales focal lengths and centre)."""
        sx, sy = width / self.width, height / self.height
        return self.model_copy(
            update=dict(fx=self.fx * sx, fy=self.fy * sy, cx=self.cx * sx, cy=self.cy * sy, width=width, height=height)
        )


def intrinsics_from_fov(width: int, height: int, fov_deg: float, source: IntrinsicsSource) -> Intrinsics:
    """A centred pinhole whose field of view across the long side is `fov_deg`."""
    focal = max(width, height) / (2 * math.tan(math.radians(fov_deg) / 2))
    return Intrinsics(fx=focal, fy=focal, cx=width / 2, cy=height / 2, width=width, height=height, source=source)


def resolve_intrinsics(width: int, height: int, spec: VideoSidecar | None, default_fov_deg: float) -> Intrinsics:
    """Intrinsics for a `width` x `height` image: the sidecar's if it states them, else the default field of view."""
    if spec is not None and spec.fov_deg is not None:
        return intrinsics_from_fov(width, height, spec.fov_deg, "sidecar_fov")
    if spec is None or not spec.has_pinhole:
        return intrinsics_from_fov(width, height, default_fov_deg, "default_fov")
    stated = Intrinsics(
        fx=spec.fx, fy=spec.fy, cx=spec.cx, cy=spec.cy,
        width=spec.width or width, height=spec.height or height, source="sidecar_pinhole",
    )
    return stated.scaled_to(width, height)
