"""The camera-motion stage's output contract: one typed, versioned record per video, stored as one .npz.

Frames are the video's own (index t = t-th decoded frame). World = the first frame's camera (x right,
y down, z forward): x_world = R_world_cam[t] x_cam + t_world_cam[t]. The file holds only plain arrays
plus one JSON string, so loading it never unpickles anything.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

import numpy as np

from vitra_core.camera.focal import FocalEstimate
from vitra_core.camera.settings import CameraMotionSettings
from vitra_core.errors import FileError
from vitra_core.npz_record import read_npz_record, write_npz_record

SCHEMA_VERSION = 1
FovSource = Literal["sidecar", "estimated", "default"]
TranslationScale = Literal["unit", "metric"]


class CameraMotionFileError(FileError):
    """A stored camera-motion file cannot be read as this schema version."""


@dataclass(frozen=True, eq=False)
class CameraMotion:
    """Per-frame pose of the camera in one video (T frames) relative to its first frame.

    R_world_cam [T, 3, 3]: camera-to-world rotation; R_world_cam[0] is the identity.
    t_world_cam [T, 3]: camera position in the world, in `translation_scale` units: "unit" = the median
        depth of the tracked background (the scale a monocular camera can observe), "metric" = metres.
    valid [T]: the motion into frame t was measured (static, rotation or essential model); False where
        it could not be and the previous pose was held.
    inlier_ratio [T]: share of the frame's background correspondences the chosen model explains.
    pair_model [T]: "first", "static", "rotation", "essential" or "failed", per frame.
    num_points [T]: background correspondences used for frame t.
    timestamps_s [T]: presentation time of each frame from the first one.
    focal_px, cx, cy, width, height: the pinhole camera the poses were estimated with (pixels).
    fov_deg: its field of view across the long side; fov_source: where it came from (a sidecar, estimated
        from this clip, or the configured default); focal_estimate: the clip's own estimate, if tried.
    """

    R_world_cam: np.ndarray
    t_world_cam: np.ndarray
    valid: np.ndarray
    inlier_ratio: np.ndarray
    pair_model: np.ndarray
    num_points: np.ndarray
    timestamps_s: np.ndarray
    focal_px: float
    cx: float
    cy: float
    width: int
    height: int
    fov_deg: float
    fov_source: FovSource
    translation_scale: TranslationScale
    focal_estimate: FocalEstimate | None
    settings: CameraMotionSettings
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        t = len(self.timestamps_s)
        expected = {"R_world_cam": (t, 3, 3), "t_world_cam": (t, 3), "valid": (t,), "inlier_ratio": (t,),
                    "pair_model": (t,), "num_points": (t,)}
        wrong = [f"{name} {getattr(self, name).shape} != {shape}" for name, shape in expected.items()
                 if getattr(self, name).shape != shape]
        if wrong:
            raise ValueError(f"CameraMotion arrays have wrong shapes: {'; '.join(wrong)}")

    @property
    def num_frames(self) -> int:
        return len(self.timestamps_s)

    def camera_matrix(self) -> np.ndarray:
        """The 3x3 K the poses were estimated with."""
        return np.array([[self.focal_px, 0, self.cx], [0, self.focal_px, self.cy], [0, 0, 1.0]])

    def save(self, path: Path | str) -> None:
        """Write one compressed .npz atomically (readers never see half a file)."""
        meta = dict(
            schema_version=self.schema_version, focal_px=self.focal_px, cx=self.cx, cy=self.cy, width=self.width,
            height=self.height, fov_deg=self.fov_deg, fov_source=self.fov_source,
            translation_scale=self.translation_scale,
            focal_estimate=self.focal_estimate.model_dump() if self.focal_estimate else None,
            settings=self.settings.model_dump(),
        )
        write_npz_record(path, meta, self._arrays())

    def _arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), np.ndarray)}

    @classmethod
    def load(cls, path: Path | str) -> "CameraMotion":
        """Read a file written by `save`; raise CameraMotionFileError if it is not this schema version."""
        meta, arrays = read_npz_record(path, SCHEMA_VERSION, CameraMotionFileError, "camera-motion file")
        try:
            estimate = meta["focal_estimate"]
            return cls(
                **arrays, focal_px=float(meta["focal_px"]), cx=float(meta["cx"]), cy=float(meta["cy"]),
                width=int(meta["width"]), height=int(meta["height"]), fov_deg=float(meta["fov_deg"]),
                fov_source=meta["fov_source"], translation_scale=meta["translation_scale"],
                focal_estimate=FocalEstimate.model_validate(estimate) if estimate is not None else None,
                settings=CameraMotionSettings.model_validate(meta["settings"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CameraMotionFileError(path, f"arrays do not match schema {SCHEMA_VERSION} ({exc})") from exc
