"""Pinhole camera intrinsics for a clip: from a sidecar `<video>.json`, else a default field of view.

The sidecar sits beside the video as `<stem>.json` or `<name>.json` (`clip.json` or `clip.mp4.json`)
and holds either `fx, fy, cx, cy` (pixels) or `fov_deg`; `width`/`height` name the resolution those
numbers refer to (default: the video's own), so they can be rescaled to the normalised clip.
A field of view is measured across the image's long side, which stays the same when a phone turns.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vitra_core.errors import InvalidVideoError

IntrinsicsSource = Literal["sidecar_pinhole", "sidecar_fov", "default_fov"]


class IntrinsicsSpec(BaseModel):
    """What a user may state about a camera in a sidecar file."""

    model_config = ConfigDict(extra="forbid")

    fx: float | None = Field(None, gt=0)
    fy: float | None = Field(None, gt=0)
    cx: float | None = None
    cy: float | None = None
    fov_deg: float | None = Field(None, gt=1, lt=179)
    width: int | None = Field(None, gt=0)
    height: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _pinhole_or_fov(self) -> "IntrinsicsSpec":
        pinhole = [self.fx, self.fy, self.cx, self.cy]
        if all(v is None for v in pinhole) == (self.fov_deg is None):
            raise ValueError("give either all of fx, fy, cx, cy or fov_deg (not both, not neither)")
        if any(v is None for v in pinhole) and any(v is not None for v in pinhole):
            raise ValueError("fx, fy, cx and cy must be given together")
        return self


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


def _from_fov(width: int, height: int, fov_deg: float, source: IntrinsicsSource) -> Intrinsics:
    focal = max(width, height) / (2 * math.tan(math.radians(fov_deg) / 2))
    return Intrinsics(fx=focal, fy=focal, cx=width / 2, cy=height / 2, width=width, height=height, source=source)


def sidecar_paths(video_path: Path) -> list[Path]:
    """Where a sidecar for `video_path` may be, in order of preference."""
    return [video_path.with_suffix(".json"), video_path.with_name(video_path.name + ".json")]


def read_sidecar(video_path: Path | str) -> IntrinsicsSpec | None:
    """Read the intrinsics sidecar beside a video, if there is one; a malformed one is an error."""
    for candidate in sidecar_paths(Path(video_path)):
        if candidate.is_file():
            return parse_sidecar(candidate)
    return None


def parse_sidecar(sidecar: Path) -> IntrinsicsSpec:
    try:
        return IntrinsicsSpec.model_validate(json.loads(sidecar.read_text()))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidVideoError(sidecar, f"intrinsics sidecar is not valid JSON ({exc})") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise InvalidVideoError(sidecar, f"intrinsics sidecar is invalid: {problems}") from exc


def resolve_intrinsics(width: int, height: int, spec: IntrinsicsSpec | None, default_fov_deg: float) -> Intrinsics:
    """Intrinsics for a `width` x `height` image: the sidecar's if given, else the default field of view."""
    if spec is None:
        return _from_fov(width, height, default_fov_deg, "default_fov")
    if spec.fov_deg is not None:
        return _from_fov(width, height, spec.fov_deg, "sidecar_fov")
    stated = Intrinsics(
        fx=spec.fx, fy=spec.fy, cx=spec.cx, cy=spec.cy,
        width=spec.width or width, height=spec.height or height, source="sidecar_pinhole",
    )
    return stated.scaled_to(width, height)
