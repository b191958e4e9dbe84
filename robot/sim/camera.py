"""The sim's cameras: the fixed scene camera (and the transform between the world frame and its frame),
and a wrist camera fixed to the forearm.

World frame: z up, table top at z = 0, the hand reaching along +y. Camera frame: the one human
hand poses use (x right, y down, z forward, metres). MuJoCo's own camera frame looks along -z with
y up, so its axes are the camera frame's with y and z negated; `mujoco_xyaxes` does that flip when
the camera is written into the scene.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from robot.drivers.base import WristPose


@dataclass(frozen=True, eq=False)
class SceneCamera:
    """A pinhole camera fixed in the world; `rotation_world_cam` (3, 3) has the camera axes as columns.

    Compared by identity (it holds arrays), so scene specs that share a camera object hash alike.
    """

    name: str
    position_world_m: np.ndarray
    rotation_world_cam: np.ndarray
    fovy_deg: float

    @classmethod
    def looking_at(cls, name: str, eye_m: tuple[float, float, float], target_m: tuple[float, float, float], fovy_deg: float) -> SceneCamera:
        """A camera at `eye_m` whose optical axis passes through `target_m`, image x level with the table."""
        eye, target = np.asarray(eye_m, dtype=np.float64), np.asarray(target_m, dtype=np.float64)
        forward = target - eye
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return cls(name, eye, np.column_stack([right, down, forward]), fovy_deg)

    def mujoco_xyaxes(self) -> str:
        """The MJCF `xyaxes` attribute: MuJoCo's camera x is ours, its y is our -y."""
        x_axis, y_axis = self.rotation_world_cam[:, 0], -self.rotation_world_cam[:, 1]
        return " ".join(f"{v:.9f}" for v in (*x_axis, *y_axis))

    def intrinsics_matrix(self, width: int, height: int) -> np.ndarray:
        """(3, 3) K for an image of `width` x `height` pixels (square pixels, centred principal point)."""
        focal = focal_px(self.fovy_deg, height)
        return np.array([[focal, 0, width / 2], [0, focal, height / 2], [0, 0, 1]], dtype=np.float64)

    def fov_deg(self, width: int, height: int) -> tuple[float, float]:
        """(horizontal, vertical) field of view of an image of `width` x `height` pixels."""
        return fov_deg(self.fovy_deg, width, height)

    def to_camera(self, position_world_m: np.ndarray, rotation_world: np.ndarray) -> WristPose:
        """A world-frame pose expressed in the camera frame."""
        rotation_t = self.rotation_world_cam.T
        position = rotation_t @ (np.asarray(position_world_m) - self.position_world_m)
        return WristPose.from_rotation(position, rotation_t @ rotation_world)

    def to_world(self, pose: WristPose) -> tuple[np.ndarray, np.ndarray]:
        """A camera-frame pose as (position (3,), rotation (3, 3)) in the world frame."""
        position = self.rotation_world_cam @ pose.position_m + self.position_world_m
        return position, self.rotation_world_cam @ pose.rotation

    def project(self, point_world_m: np.ndarray, width: int, height: int) -> np.ndarray:
        """Pixel coordinates (u, v) of a world point, for checks and overlays."""
        point_cam = self.rotation_world_cam.T @ (np.asarray(point_world_m) - self.position_world_m)
        uvw = self.intrinsics_matrix(width, height) @ point_cam
        return uvw[:2] / uvw[2]


def focal_px(fovy_deg: float, height: int) -> float:
    """Focal length in pixels of a `fovy_deg` camera (MuJoCo's fovy) whose image is `height` pixels tall."""
    return height / (2 * math.tan(math.radians(fovy_deg) / 2))


def fov_deg(fovy_deg: float, width: int, height: int) -> tuple[float, float]:
    """(horizontal, vertical) field of view of a `fovy_deg` camera at `width` x `height` pixels (square pixels)."""
    return math.degrees(2 * math.atan(width / (2 * focal_px(fovy_deg, height)))), fovy_deg


@dataclass(frozen=True)
class HandCamera:
    """A pinhole camera fixed to the forearm, as a real hand's wrist camera: it moves with the hand, so a target
    in front of the fingers appears where it is *relative to them*, and every frame of a demo (each hand
    position on the way) shows another target-to-fingertip offset, where the scene camera shows one target
    position per demo. Poses stay in the scene camera's frame; this camera only adds a view.

    `position_m` and `forward` are in the forearm frame (z along the forearm towards the fingers, y out of the
    back of the hand); the image's up is the back of the hand.
    """

    name: str
    position_m: tuple[float, float, float]
    forward: tuple[float, float, float]
    fovy_deg: float

    def rotation_forearm_cam(self) -> np.ndarray:
        """(3, 3) MuJoCo camera axes (x right, y up, looking along -z) as columns, in the forearm frame."""
        forward = np.asarray(self.forward, dtype=np.float64)
        forward /= np.linalg.norm(forward)
        up = np.array([0.0, 1.0, 0.0]) - forward * forward[1]
        up /= np.linalg.norm(up)
        return np.column_stack([np.cross(forward, up), up, -forward])

    def fov_deg(self, width: int, height: int) -> tuple[float, float]:
        return fov_deg(self.fovy_deg, width, height)


# Above, behind and to the right of the hand, looking down at the work area like a head-mounted camera.
SCENE_CAMERA = SceneCamera.looking_at("scene", eye_m=(0.2, -0.05, 0.55), target_m=(0.0, 0.17, 0.08), fovy_deg=40.0)

# 12 cm above the back of the hand at the knuckles, looking past the fingertips and down to the table: with the
# palm down it sees the reach targets (up to 8 cm around the fingertip) and the table under them.
WRIST_CAMERA = HandCamera("wrist", position_m=(0.0, 0.12, 0.28), forward=(0.03, -0.17, 0.22), fovy_deg=80.0)
