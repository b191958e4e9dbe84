"""The contract between the hand controller and any dexterous hand, simulated or real.

The controller only ever talks to a `HandDriver`; the simulator (`robot.sim.SimHandDriver`) and a
real hand's driver implement the same methods, so the control loop, the safety layer and the
human<->robot mapping never know which one they drive.

Frames and units: poses are in the driver's camera frame (x right, y down, z forward, metres, as
the human hand poses), joint angles in radians, quaternions (w, x, y, z).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from vitra_core.errors import VitraError


class DriverError(VitraError):
    """A hand driver was asked for something it cannot do."""


class UnknownJointError(DriverError):
    """A joint name is not one of the joints an operation accepts."""

    def __init__(self, name: str, known: list[str]):
        self.name = name
        super().__init__(f"joint {name!r} is not one of {', '.join(known)}")


@dataclass(frozen=True)
class JointSpec:
    """One joint: its name, position limits (rad) and whether a command can drive it directly.

    Passive joints (the Shadow hand's distal J0s, coupled to J1 by a tendon) are observed but not
    commanded.
    """

    name: str
    lower_rad: float
    upper_rad: float
    actuated: bool

    def clip(self, value_rad: float) -> float:
        return float(min(max(value_rad, self.lower_rad), self.upper_rad))


@dataclass(frozen=True)
class WristPose:
    """A rigid pose in the camera frame: position (3,) in metres and unit quaternion (4,) w, x, y, z."""

    position_m: np.ndarray
    quat_wxyz: np.ndarray

    def __post_init__(self) -> None:
        position = np.asarray(self.position_m, dtype=np.float64).reshape(3)
        quat = np.asarray(self.quat_wxyz, dtype=np.float64).reshape(4)
        norm = float(np.linalg.norm(quat))
        if not np.all(np.isfinite(position)) or not np.isfinite(norm) or norm < 1e-9:
            raise DriverError(f"wrist pose must be finite with a non-zero quaternion, got {position}, {quat}")
        object.__setattr__(self, "position_m", position)
        object.__setattr__(self, "quat_wxyz", quat / norm)

    @classmethod
    def from_rotation(cls, position_m: np.ndarray, rotation: np.ndarray) -> "WristPose":
        """The pose with the given (3, 3) rotation matrix (the inverse of `rotation`)."""
        x, y, z, w = Rotation.from_matrix(np.asarray(rotation, dtype=np.float64)).as_quat()
        return cls(np.asarray(position_m, dtype=np.float64), np.array([w, x, y, z]))

    @property
    def rotation(self) -> np.ndarray:
        """The (3, 3) rotation matrix whose columns are the wrist axes in the camera frame."""
        w, x, y, z = self.quat_wxyz
        return np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
            ]
        )

    def translated(self, offset_m: np.ndarray) -> "WristPose":
        """The same rotation, the position moved by `offset_m` (3,) (camera frame)."""
        return WristPose(self.position_m + np.asarray(offset_m, dtype=np.float64), self.quat_wxyz)

    def as_array(self) -> np.ndarray:
        """(7,) float32: position (3) then quaternion (4), the layout recordings and actions use."""
        return np.concatenate([self.position_m, self.quat_wxyz]).astype(np.float32)


@dataclass(frozen=True)
class Observation:
    """What a hand reports at one instant.

    images: camera name -> (H, W, 3) uint8 RGB; joint_positions_rad: joint name -> angle, for every
    joint in `HandDriver.joints`; wrist: the wrist pose in the camera frame; timestamp_s: time since
    the last reset (simulation time for the simulator, a monotonic clock for a real hand).
    """

    images: Mapping[str, np.ndarray]
    joint_positions_rad: Mapping[str, float]
    wrist: WristPose
    timestamp_s: float
    extras: Mapping[str, float] = field(default_factory=dict)


class HandDriver(abc.ABC):
    """A dexterous hand on a 6-DoF wrist base, observed by fixed cameras."""

    @property
    @abc.abstractmethod
    def joints(self) -> list[JointSpec]:
        """Every joint the hand reports, in a fixed order, with its limits."""

    @property
    def actuated_joints(self) -> list[JointSpec]:
        """The joints `command` accepts targets for."""
        return [joint for joint in self.joints if joint.actuated]

    @property
    @abc.abstractmethod
    def camera_names(self) -> list[str]:
        """The keys of `Observation.images`."""

    def camera_fov_deg(self, camera: str) -> tuple[float, float]:
        """(horizontal, vertical) field of view in degrees of `camera`'s images: a policy input (C1 `fov`).

        Not abstract so that drivers written before it keep working; a driver whose images feed a
        policy must override it.
        """
        raise DriverError(f"{type(self).__name__} does not report the field of view of camera {camera!r}")

    @abc.abstractmethod
    def reset(self, seed: int) -> Observation:
        """Bring the hand (and, in simulation, the scene) to a start state chosen by `seed`."""

    @abc.abstractmethod
    def observe(self) -> Observation:
        """The current state, without moving anything."""

    @abc.abstractmethod
    def command(self, joint_targets_rad: Mapping[str, float], wrist: WristPose) -> None:
        """Set position targets for actuated joints (missing ones keep their last target) and the wrist.

        Raises UnknownJointError for a name that is not an actuated joint. Targets outside a joint's
        limits are clipped; enforcing velocity limits is the safety layer's job, not the driver's.
        """

    def close(self) -> None:
        """Release devices or rendering contexts; the default has nothing to release."""

    def __enter__(self) -> HandDriver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
