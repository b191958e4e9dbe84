"""What a user may state about one video in a sidecar `<video>.json`: camera intrinsics, mirroring.

The sidecar sits beside the video as `<stem>.json` or `<name>.json` (`clip.json` or `clip.mp4.json`)
and may hold `fx, fy, cx, cy` (pixels) or `fov_deg` (degrees across the long side), with `width`/
`height` naming the resolution those numbers refer to (default: the video's own), and `mirrored`
(true for selfie-style, horizontally flipped footage). Every key is optional; unknown keys are errors.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vitra_core.errors import InvalidVideoError


class VideoSidecar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fx: float | None = Field(None, gt=0)
    fy: float | None = Field(None, gt=0)
    cx: float | None = None
    cy: float | None = None
    fov_deg: float | None = Field(None, gt=1, lt=179)
    width: int | None = Field(None, gt=0)
    height: int | None = Field(None, gt=0)
    mirrored: bool = False

    @model_validator(mode="after")
    def _pinhole_or_fov(self) -> "VideoSidecar":
        pinhole = [self.fx, self.fy, self.cx, self.cy]
        given = sum(v is not None for v in pinhole)
        if given not in (0, 4):
            raise ValueError("fx, fy, cx and cy must be given together")
        if given and self.fov_deg is not None:
            raise ValueError("give either fx, fy, cx, cy or fov_deg, not both")
        return self

    @property
    def has_pinhole(self) -> bool:
        return self.fx is not None


def sidecar_paths(video_path: Path) -> list[Path]:
    """Where a sidecar for `video_path` may be, in order of preference."""
    return [video_path.with_suffix(".json"), video_path.with_name(video_path.name + ".json")]


def find_sidecar(video_path: Path) -> Path | None:
    return next((p for p in sidecar_paths(Path(video_path)) if p.is_file()), None)


def parse_sidecar(sidecar: Path) -> VideoSidecar:
    try:
        return VideoSidecar.model_validate(json.loads(sidecar.read_text()))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidVideoError(sidecar, f"sidecar is not valid JSON ({exc})") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise InvalidVideoError(sidecar, f"sidecar is invalid: {problems}") from exc


def read_sidecar(video_path: Path | str) -> VideoSidecar | None:
    """The sidecar beside a video, if there is one; a malformed one is an error naming it."""
    found = find_sidecar(Path(video_path))
    return parse_sidecar(found) if found else None
