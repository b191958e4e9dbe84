"""Pinhole camera intrinsics for a clip: from the video's sidecar, else a default field of view.

A field of view is measured across the image's long side, which stays the same when a phone turns.
A quarter-turned video (a display matrix of 90 or 270 degrees) whose sidecar states the stored frame's
size has its intrinsics turned with the picture (fx and fy swapped, the centre moved), never stretched.
Every `Intrinsics` is checked on construction (finite, focal lengths within the field-of-view range,
principal point inside the image), so nothing downstream ever holds implausible numbers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, model_validator

if TYPE_CHECKING:
    from vitra_core.video.sidecar import VideoSidecar

IntrinsicsSource = Literal["sidecar_pinhole", "sidecar_fov", "default_fov", "estimated_fov"]
DEFAULT_FOV_DEG = 60.0  # across the long side; used when a video states no intrinsics
FOV_RANGE_DEG = (5.0, 175.0)  # a plausible camera, from telephoto to fisheye, across the long side
MAX_IMAGE_SIDE_PX = 16384
CENTRE_MARGIN = 0.1  # the principal point may lie this fraction of the image outside it (crops)
MAX_ASPECT = 4.0  # fx / fy (non-square pixels) within 1/4 .. 4


def _focal_range_px(long_side_px: float) -> tuple[float, float]:
    """Focal lengths (pixels) whose field of view across `long_side_px` lies within FOV_RANGE_DEG."""
    lo, hi = FOV_RANGE_DEG
    return long_side_px / (2 * math.tan(math.radians(hi) / 2)), long_side_px / (2 * math.tan(math.radians(lo) / 2))


def pinhole_problem(fx: float, fy: float, cx: float, cy: float, width: float, height: float) -> str | None:
    """Why these intrinsics are not a plausible camera for a `width` x `height` image (None: they are)."""
    values = dict(fx=fx, fy=fy, cx=cx, cy=cy, width=width, height=height)
    bad = [k for k, v in values.items() if not math.isfinite(v)]
    if bad:
        return f"{', '.join(bad)} not finite"
    if not (0 < width <= MAX_IMAGE_SIDE_PX and 0 < height <= MAX_IMAGE_SIDE_PX):
        return f"image size {width}x{height} outside 1..{MAX_IMAGE_SIDE_PX} px"
    lo, hi = _focal_range_px(max(width, height))
    for name, focal in (("fx", fx), ("fy", fy)):
        if not lo <= focal <= hi:
            return (f"{name}={focal:g} px is outside {lo:.4g}..{hi:.4g} px (a {FOV_RANGE_DEG[0]:g}-"
                    f"{FOV_RANGE_DEG[1]:g} deg field of view across {max(width, height):g} px)")
    if not 1 / MAX_ASPECT <= fx / fy <= MAX_ASPECT:
        return f"fx/fy = {fx / fy:.3g} is outside 1/{MAX_ASPECT:g}..{MAX_ASPECT:g}"
    for name, c, side in (("cx", cx, width), ("cy", cy, height)):
        if not -CENTRE_MARGIN * side <= c <= (1 + CENTRE_MARGIN) * side:
            return f"{name}={c:g} px is outside the {width:g}x{height:g} image (margin {CENTRE_MARGIN:.0%})"
    return None


class Intrinsics(BaseModel):
    """Intrinsics at a given resolution, and where they came from."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    source: IntrinsicsSource

    @model_validator(mode="after")
    def _plausible(self) -> "Intrinsics":
        problem = pinhole_problem(self.fx, self.fy, self.cx, self.cy, self.width, self.height)
        if problem:
            raise ValueError(f"implausible intrinsics ({self.source}): {problem}")
        return self

    @property
    def fov_x_deg(self) -> float:
        return math.degrees(2 * math.atan(self.width / (2 * self.fx)))

    @property
    def fov_y_deg(self) -> float:
        return math.degrees(2 * math.atan(self.height / (2 * self.fy)))

    def matrix(self) -> np.ndarray:
        """The 3x3 camera matrix K."""
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=np.float64)

    def rotated(self, rotation_deg: int) -> "Intrinsics":
        """The same camera once the image is turned `rotation_deg` (0, 90, 180, 270) counterclockwise, as a
        player applies a display matrix: a stored pixel (x, y) is shown at (y, W - x) after 90 degrees,
        (W - x, H - y) after 180 and (H - y, x) after 270."""
        w, h = self.width, self.height
        turned = {
            0: (self.fx, self.fy, self.cx, self.cy, w, h),
            90: (self.fy, self.fx, self.cy, w - self.cx, h, w),
            180: (self.fx, self.fy, w - self.cx, h - self.cy, w, h),
            270: (self.fy, self.fx, h - self.cy, self.cx, h, w),
        }.get(rotation_deg % 360)
        if turned is None:
            raise ValueError(f"rotation of {rotation_deg} degrees is not a multiple of 90")
        fx, fy, cx, cy, width, height = turned
        return Intrinsics(fx=fx, fy=fy, cx=cx, cy=cy, width=width, height=height, source=self.source)

    def scaled_to(self, width: int, height: int) -> "Intrinsics":
        """The same camera at another resolution (a resize scales focal lengths and centre)."""
        sx, sy = width / self.width, height / self.height
        return Intrinsics(
            fx=self.fx * sx, fy=self.fy * sy, cx=self.cx * sx, cy=self.cy * sy, width=width, height=height,
            source=self.source,
        )


def intrinsics_from_fov(width: int, height: int, fov_deg: float, source: IntrinsicsSource) -> Intrinsics:
    """A centred pinhole whose field of view across the long side is `fov_deg`."""
    focal = max(width, height) / (2 * math.tan(math.radians(fov_deg) / 2))
    return Intrinsics(fx=focal, fy=focal, cx=width / 2, cy=height / 2, width=width, height=height, source=source)


def resolve_intrinsics(width: int, height: int, spec: VideoSidecar | None, default_fov_deg: float,
                       rotation_deg: int = 0) -> Intrinsics:
    """Intrinsics for a displayed `width` x `height` image: the sidecar's if it states them, else the default
    field of view. `rotation_deg` is the video's display rotation (`VideoProbe.rotation_deg`).

    Sidecar numbers are in the displayed frame, except on a quarter-turned video when the sidecar's own
    `width`/`height` have the stored frame's orientation (landscape numbers for a video shown portrait, as a
    phone's sensor calibration is): those are turned with the picture before being scaled. A video shown
    upside down (180) has the stored frame's size, so its sidecar numbers are read in the displayed frame.
    Raises ValueError (pydantic's ValidationError) naming the problem when the result is implausible.
    """
    if spec is not None and spec.fov_deg is not None:
        return intrinsics_from_fov(width, height, spec.fov_deg, "sidecar_fov")
    if spec is None or not spec.has_pinhole:
        return intrinsics_from_fov(width, height, default_fov_deg, "default_fov")
    stated = Intrinsics(
        fx=spec.fx, fy=spec.fy, cx=spec.cx, cy=spec.cy,
        width=spec.width or width, height=spec.height or height, source="sidecar_pinhole",
    )
    if rotation_deg % 180 == 90 and (stated.width - stated.height) * (width - height) < 0:
        stated = stated.rotated(rotation_deg)
    return stated.scaled_to(width, height)
