"""What a user may state about one video in a sidecar `<video>.json`: camera intrinsics, mirroring.

The sidecar sits beside the video as `<stem>.json` or `<name>.json` (`clip.json` or `clip.mp4.json`)
and may hold `fx, fy, cx, cy` (pixels) or `fov_deg` (degrees across the long side), with `width`/
`height` naming the resolution those numbers refer to (default: the video's own), and `mirrored`
(true for selfie-style, horizontally flipped footage). Every key is optional; unknown keys are errors.

One validator serves ingestion and every later use: the file is bounded in size and nesting, numbers
must be finite and physically plausible (`vitra_core.video.intrinsics.pinhole_problem`), and the same
checks run again when a stored record or a sidecar is read back.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vitra_core.errors import InvalidVideoError
from vitra_core.video.intrinsics import (
    FOV_RANGE_DEG, MAX_IMAGE_SIDE_PX, Intrinsics, pinhole_problem, resolve_intrinsics,
)

MAX_SIDECAR_BYTES = 64 * 1024  # a sidecar is a handful of numbers
MAX_SIDECAR_DEPTH = 4  # it is one flat object; anything deeper is not a sidecar
_MAX_FOCAL_PX = MAX_IMAGE_SIDE_PX * 100.0  # absolute bound before the image size is known


class VideoSidecar(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    fx: float | None = Field(None, gt=0, le=_MAX_FOCAL_PX)
    fy: float | None = Field(None, gt=0, le=_MAX_FOCAL_PX)
    cx: float | None = Field(None, ge=-MAX_IMAGE_SIDE_PX, le=2 * MAX_IMAGE_SIDE_PX)
    cy: float | None = Field(None, ge=-MAX_IMAGE_SIDE_PX, le=2 * MAX_IMAGE_SIDE_PX)
    fov_deg: float | None = Field(None, ge=FOV_RANGE_DEG[0], le=FOV_RANGE_DEG[1])
    width: int | None = Field(None, gt=0, le=MAX_IMAGE_SIDE_PX)
    height: int | None = Field(None, gt=0, le=MAX_IMAGE_SIDE_PX)
    mirrored: bool = False

    @model_validator(mode="after")
    def _pinhole_or_fov(self) -> "VideoSidecar":
        pinhole = [self.fx, self.fy, self.cx, self.cy]
        given = sum(v is not None for v in pinhole)
        if given not in (0, 4):
            raise ValueError("fx, fy, cx and cy must be given together")
        if given and self.fov_deg is not None:
            raise ValueError("give either fx, fy, cx, cy or fov_deg, not both")
        if (self.width is None) != (self.height is None):
            raise ValueError("width and height must be given together")
        if given and self.width is not None:
            problem = pinhole_problem(self.fx, self.fy, self.cx, self.cy, self.width, self.height)
            if problem:
                raise ValueError(problem)
        return self

    @property
    def has_pinhole(self) -> bool:
        return self.fx is not None


def sidecar_paths(video_path: Path) -> list[Path]:
    """Where a sidecar for `video_path` may be, in order of preference."""
    return [video_path.with_suffix(".json"), video_path.with_name(video_path.name + ".json")]


def find_sidecar(video_path: Path) -> Path | None:
    return next((p for p in sidecar_paths(Path(video_path)) if p.is_file()), None)


def _nesting_depth(text: str) -> int:
    """Deepest bracket nesting outside strings (checked before `json.loads`, which recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


def sidecar_from_bytes(data: bytes, origin: Path) -> VideoSidecar:
    """Validate a sidecar's bytes; errors are InvalidVideoError naming `origin` and the reason."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise InvalidVideoError(origin, f"sidecar is {len(data)} bytes, more than the {MAX_SIDECAR_BYTES} allowed")
    try:
        text = data.decode("utf-8")
        if _nesting_depth(text) > MAX_SIDECAR_DEPTH:
            raise InvalidVideoError(origin, f"sidecar nests deeper than {MAX_SIDECAR_DEPTH} levels")
        payload = json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise InvalidVideoError(origin, f"sidecar is not valid JSON ({exc})") from exc
    try:
        return VideoSidecar.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise InvalidVideoError(origin, f"sidecar is invalid: {problems}") from exc


def parse_sidecar(sidecar: Path) -> VideoSidecar:
    """Read and validate a sidecar file (its size is checked before it is read whole)."""
    sidecar = Path(sidecar)
    with open(sidecar, "rb") as handle:
        data = handle.read(MAX_SIDECAR_BYTES + 1)
    return sidecar_from_bytes(data, sidecar)


def read_sidecar(video_path: Path | str) -> VideoSidecar | None:
    """The sidecar beside a video, if there is one; a malformed one is an error naming it."""
    found = find_sidecar(Path(video_path))
    return parse_sidecar(found) if found else None


def sidecar_intrinsics(video_path: Path | str, width: int, height: int, default_fov_deg: float) -> Intrinsics:
    """Intrinsics of a video outside the store at its decoded (displayed) `width` x `height`: the sidecar's
    beside it, turned with the video's display rotation as the pipeline's are (`resolve_intrinsics`), else
    the default field of view."""
    from vitra_core.video.probe import probe_video

    spec = read_sidecar(video_path)
    rotation_deg = probe_video(Path(video_path)).rotation_deg if spec is not None and spec.has_pinhole else 0
    return resolve_intrinsics(width, height, spec, default_fov_deg, rotation_deg)
