"""The hand-pose stage's output contract: one typed, versioned record per video, stored as one .npz.

Frames are the video's own (index t = t-th decoded frame); hand slot 0 is the left hand, 1 the right;
landmark order is MediaPipe's (see skeleton.py). Float arrays hold NaN wherever `mask` is False.
The file holds only plain arrays plus one JSON string, so loading it never unpickles anything.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from vitra_core.errors import FileError
from vitra_core.hands.kinematics import bone_lengths
from vitra_core.hands.settings import HandPoseSettings
from vitra_core.npz_record import read_npz_record, write_npz_record
from vitra_core.video.intrinsics import Intrinsics

SCHEMA_VERSION = 1


class HandPosesFileError(FileError):
    """A stored hand-pose file cannot be read as this schema version."""


@dataclass(frozen=True, eq=False)
class HandPoses:
    """Per-frame poses of both hands in one video (T frames).

    joints_2d [T, 2, 21, 2]: landmarks in pixels of the video, as detected (gaps interpolated).
    joints_cam [T, 2, 21, 3]: joints in camera space (metres; x right, y down, z forward) =
        forward_kinematics(state, rest_pose_m), smoothed over time.
    state [T, 2, 51]: wrist translation (3) + wrist rotation (3) + 15 MANO joints x 3 Euler angles.
    mask [T, 2]: hand present (detected or interpolated); interpolated [T, 2]: filled across a gap.
    confidence [T, 2]: 0..1, the probability that the hand in the slot is of that side; halved
        where interpolated.
    world_m [T, 2, 21, 3]: MediaPipe's raw world landmarks, NaN except on detected frames.
    track_id [T, 2]: stable identity of the hand in each slot (-1 where empty).
    num_detected [T]: hands MediaPipe found, including any that fitted in neither slot.
    rest_pose_m [2, 21, 3]: each hand's skeleton (palm frame, straight fingers); NaN if never seen.
    timestamps_s [T]: presentation time of each frame from the first one.
    """

    joints_2d: np.ndarray
    joints_cam: np.ndarray
    state: np.ndarray
    mask: np.ndarray
    interpolated: np.ndarray
    confidence: np.ndarray
    world_m: np.ndarray
    track_id: np.ndarray
    num_detected: np.ndarray
    rest_pose_m: np.ndarray
    timestamps_s: np.ndarray
    fps: float
    intrinsics: Intrinsics
    mirrored: bool
    settings: HandPoseSettings
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        t = len(self.timestamps_s)
        expected = {
            "joints_2d": (t, 2, 21, 2), "joints_cam": (t, 2, 21, 3), "state": (t, 2, 51), "mask": (t, 2),
            "interpolated": (t, 2), "confidence": (t, 2), "world_m": (t, 2, 21, 3), "track_id": (t, 2),
            "num_detected": (t,), "rest_pose_m": (2, 21, 3),
        }
        wrong = [f"{name} {getattr(self, name).shape} != {shape}" for name, shape in expected.items()
                 if getattr(self, name).shape != shape]
        if wrong:
            raise ValueError(f"HandPoses arrays have wrong shapes: {'; '.join(wrong)}")

    @property
    def num_frames(self) -> int:
        return len(self.timestamps_s)

    @property
    def detected(self) -> np.ndarray:
        """[T, 2] hand found by MediaPipe in that frame (present and not interpolated)."""
        return self.mask & ~self.interpolated

    @property
    def bone_lengths_m(self) -> np.ndarray:
        """[2, 20] each hand's bone lengths; bone i ends at landmark i + 1."""
        return bone_lengths(self.rest_pose_m)

    def save(self, path: Path | str) -> None:
        """Write one compressed .npz atomically (readers never see half a file)."""
        meta = dict(
            schema_version=self.schema_version, fps=self.fps, mirrored=self.mirrored,
            intrinsics=self.intrinsics.model_dump(), settings=self.settings.model_dump(),
        )
        write_npz_record(path, meta, self._arrays())

    def _arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), np.ndarray)}

    @classmethod
    def load(cls, path: Path | str) -> "HandPoses":
        """Read a file written by `save`; raise HandPosesFileError if it is not this schema version."""
        meta, arrays = read_npz_record(path, SCHEMA_VERSION, HandPosesFileError, "hand-pose file")
        try:
            return cls(
                **arrays, fps=float(meta["fps"]), mirrored=bool(meta["mirrored"]),
                intrinsics=Intrinsics.model_validate(meta["intrinsics"]),
                settings=HandPoseSettings.model_validate(meta["settings"]),
            )
        except (TypeError, ValueError) as exc:
            raise HandPosesFileError(path, f"arrays do not match schema {SCHEMA_VERSION} ({exc})") from exc
