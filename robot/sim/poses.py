"""Named wrist orientations and hand shapes shared by tasks and demonstrators (world frame, radians).

Hand axes: fingers along +z, palm facing -y, thumb on the +x side. The forearm points along
world +y (away from the camera) in every pose here.
"""

from __future__ import annotations

import numpy as np

from robot.sim.rotations import axis_angle

_X, _Y, _Z = np.eye(3)

HOME_WRIST_M = np.array([0.0, 0.0, 0.15])
PALM_DOWN = np.column_stack([-_X, _Z, _Y])
# Palm up, fingers tipped 0.2 rad down so a dropped ball rolls into the cupped fingers, not off the wrist.
PALM_UP = axis_angle(_X, -0.2) @ np.column_stack([_X, -_Z, _Y])
# Palm facing -x, thumb up: the orientation for wrapping the fingers round an upright object.
PALM_SIDE = np.column_stack([_Z, _X, _Y])

_FINGERS = ("FF", "MF", "RF", "LF")


def fingers(j2_rad: float, j1_rad: float, names: tuple[str, ...] = _FINGERS) -> dict[str, float]:
    """Flexion targets for the knuckle (J2) and the coupled middle+distal joints (J1) of `names`."""
    return {f"{f}J{j}": v for f in names for j, v in ((2, j2_rad), (1, j1_rad))}


CUP = {**fingers(0.5, 0.5), "THJ4": 0.5, "THJ3": 0.6, "LFJ4": 0.3}
FIST = {**fingers(1.0, 1.2), "THJ4": 1.0, "THJ3": 1.1, "THJ2": 0.2, "THJ1": 0.5, "THJ0": -0.3, "LFJ4": 0.5}
POINT = {**fingers(0.0, 0.0, ("FF",)), **fingers(1.4, 1.4, ("MF", "RF", "LF")), "THJ4": 1.0, "THJ3": 1.1, "THJ1": 0.3}
OPEN = {**fingers(0.2, 0.1), "THJ4": 0.0, "THJ3": 0.0}
WRAP = {**fingers(1.57, 1.57), "THJ4": 1.0, "THJ3": 1.2, "THJ2": 0.2, "THJ1": 0.3, "THJ0": -0.5}
