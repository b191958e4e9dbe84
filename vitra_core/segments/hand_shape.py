"""Hand-shape features from VITRA's 51-number state: how closed the fingers are, how the wrist is turned.

Flexion: each MANO joint's local rotation is the rotation of its bone away from the rest pose, whose
fingers are straight (twist is fixed at zero, so the angle is the bend). The mean angle over the 12
joints of the four fingers (thumb left out: its rest direction already points across the palm) is
about 0.2-0.4 rad for an open hand and 1.0-1.5 rad for a fist on the sample clips.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from vitra_core.hands.skeleton import EULER_ORDER, MANO_JOINT_NAMES

FINGER_JOINTS = np.array([i for i, name in enumerate(MANO_JOINT_NAMES) if not name.startswith("thumb")])
WRIST_ROTATION = slice(3, 6)
JOINT_ANGLES = slice(6, 51)


def finger_flexion_rad(state: np.ndarray) -> np.ndarray:
    """Mean bend angle of the four fingers' 12 joints, state [N, 51] -> [N]; NaN where the state is NaN."""
    angles = state[:, JOINT_ANGLES].reshape(len(state), 15, 3)[:, FINGER_JOINTS]
    flexion = np.full(len(state), np.nan)
    finite = np.isfinite(angles).all(axis=(1, 2))
    if finite.any():
        bend = Rotation.from_euler(EULER_ORDER, angles[finite].reshape(-1, 3)).magnitude()
        flexion[finite] = bend.reshape(-1, len(FINGER_JOINTS)).mean(axis=1)
    return flexion


def mean_wrist_rotation(state: np.ndarray) -> Rotation:
    """The average wrist orientation of some frames, state [K, 51] without NaN (K >= 1)."""
    return Rotation.from_euler(EULER_ORDER, state[:, WRIST_ROTATION]).mean()


def rotation_angle_rad(start: Rotation, end: Rotation) -> float:
    """Angle of the rotation taking `start` to `end` (0..pi)."""
    return float((end * start.inv()).magnitude())
