"""The hand layout shared by every module: MediaPipe's 21 landmarks and MANO's 15 articulated joints.

Landmarks (MediaPipe order): 0 wrist; thumb 1 CMC, 2 MCP, 3 IP, 4 tip; index 5 MCP, 6 PIP, 7 DIP,
8 tip; middle 9-12; ring 13-16; pinky 17-20. Each articulated joint rotates the bone from itself to
the next landmark, so MANO's joints map onto landmarks as below (MANO's order: index, middle,
pinky, ring, thumb; three joints each, proximal first).
"""

from __future__ import annotations

import numpy as np

NUM_LANDMARKS = 21
NUM_HANDS = 2
LEFT, RIGHT = 0, 1

WRIST = 0
MIDDLE_MCP = 9
INDEX_MCP = 5
PINKY_MCP = 17

# the kinematic tree: parent landmark of each landmark (-1 for the wrist); fingers hang off the wrist
PARENTS = np.array([-1, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 17, 18, 19])
# the 20 bones (parent, child), child = 1..20
BONES = np.stack([PARENTS[1:], np.arange(1, NUM_LANDMARKS)], axis=1)
# the six points that move with the palm: wrist and the base of each finger
PALM = np.array([WRIST, 1, 5, 9, 13, 17])

MANO_JOINT_NAMES = tuple(
    f"{finger}{k}" for finger in ("index", "middle", "pinky", "ring", "thumb") for k in (1, 2, 3)
)
# CHAINS[f, k]: landmark of MANO joint MANO_JOINT_NAMES[3 f + k]; it rotates the bone to CHAINS[f, k] + 1
CHAINS = np.array([[5, 6, 7], [9, 10, 11], [17, 18, 19], [13, 14, 15], [1, 2, 3]])

STATE_SIZE = 51  # wrist translation (3) + wrist rotation (3) + 15 joints x 3 Euler angles
EULER_ORDER = "xyz"  # scipy's lower case: extrinsic rotations about the fixed x, then y, then z axis
