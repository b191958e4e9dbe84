"""Small rotation helpers on top of MuJoCo's own conversions (quaternions are w, x, y, z)."""

from __future__ import annotations

import mujoco
import numpy as np


def mat_to_quat(rotation: np.ndarray) -> np.ndarray:
    """(3, 3) rotation matrix -> (4,) unit quaternion."""
    quat = np.empty(4)
    mujoco.mju_mat2Quat(quat, np.ascontiguousarray(rotation, dtype=np.float64).reshape(9))
    return quat


def axis_angle(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    """(3, 3) rotation by `angle_rad` about `axis` (any length but zero)."""
    quat = np.empty(4)
    mujoco.mju_axisAngle2Quat(quat, np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis), angle_rad)
    rotation = np.empty(9)
    mujoco.mju_quat2Mat(rotation, quat)
    return rotation.reshape(3, 3)


def angle_between(rotation_a: np.ndarray, rotation_b: np.ndarray) -> float:
    """The angle (rad) of the relative rotation between two (3, 3) rotations."""
    cos = (np.trace(rotation_a.T @ rotation_b) - 1.0) / 2.0
    return float(np.arccos(np.clip(cos, -1.0, 1.0)))


def interpolate(rotation_a: np.ndarray, rotation_b: np.ndarray, fraction: float) -> np.ndarray:
    """The rotation `fraction` of the way from a to b along the shortest arc (fraction 0 -> a, 1 -> b)."""
    quat_a, quat_b = mat_to_quat(rotation_a), mat_to_quat(rotation_b)
    delta = np.empty(3)
    mujoco.mju_subQuat(delta, quat_b, quat_a)
    mujoco.mju_quatIntegrate(quat_a, delta, fraction)
    rotation = np.empty(9)
    mujoco.mju_quat2Mat(rotation, quat_a)
    return rotation.reshape(3, 3)
