"""Horizontal-flip augmentation of hand states: reflect across the camera's y-z plane (x -> -x).

With M = diag(-1, 1, 1) the reflected joints are M J. kinematics.py puts each hand's skeleton
(`rest_pose`) in its palm frame: x from the wrist to the middle knuckle, z out of the back of the hand,
y = z x x, which points to the thumb on a right hand and to the little finger on a left one. Reflecting
a hand maps its palm frame F to M F D with D = diag(1, -1, 1), so the reflected hand (a hand of the
other side) has skeleton D rest, and forward kinematics gives M J exactly when
    translation t -> M t,   wrist rotation R -> M R D,   each local joint rotation L -> D L D
(local rotations chain parent-to-child frames, so the inner D's cancel). All is done on rotation
matrices; Euler angles are only the storage format. Mirroring twice is the identity.
"""

from __future__ import annotations

import numpy as np

from vitra_core.episodes.state_layout import ACTION_DIM, MASK_SLICE
from vitra_core.hands.kinematics import euler_to_matrix, matrix_to_euler
from vitra_core.hands.skeleton import NUM_HANDS, STATE_SIZE

REFLECT_CAMERA = np.diag([-1.0, 1.0, 1.0])  # M
REFLECT_PALM = np.diag([1.0, -1.0, 1.0])  # D


def mirror_hand_state(state: np.ndarray) -> np.ndarray:
    """[..., 51] states of one hand -> states of its mirror image (a hand of the other side)."""
    state = np.asarray(state, dtype=np.float64)
    lead = state.shape[:-1]
    wrist = euler_to_matrix(state[..., 3:6])
    joints = euler_to_matrix(state[..., 6:].reshape(*lead, 15, 3))
    out = np.empty_like(state)
    out[..., :3] = state[..., :3] * np.array([-1.0, 1.0, 1.0])
    out[..., 3:6] = matrix_to_euler(REFLECT_CAMERA @ wrist @ REFLECT_PALM)
    out[..., 6:] = matrix_to_euler(REFLECT_PALM @ joints @ REFLECT_PALM).reshape(*lead, 45)
    return out


def mirror_rest_pose(rest_pose: np.ndarray) -> np.ndarray:
    """[..., 21, 3] skeleton of a hand (palm-frame coordinates) -> the skeleton of its mirror image."""
    return np.asarray(rest_pose) @ REFLECT_PALM


def mirror_dataset_state(packed: np.ndarray) -> np.ndarray:
    """[..., 104] dataset states (left | right | mask) -> the states of the flipped image.

    Left and right swap slots and each present hand is mirrored; absent hands stay all zeros.
    Works on action vectors [..., 102] too (then every hand is treated as present).
    """
    packed = np.asarray(packed)
    lead = packed.shape[:-1]
    hands = packed[..., :ACTION_DIM].reshape(*lead, NUM_HANDS, STATE_SIZE).astype(np.float64)
    if packed.shape[-1] > ACTION_DIM:
        present = packed[..., MASK_SLICE] > 0.5
    else:
        present = np.ones(lead + (NUM_HANDS,), dtype=bool)
    mirrored = np.where(present[..., None], mirror_hand_state(hands), 0.0)[..., ::-1, :]
    out = packed.copy()
    out[..., :ACTION_DIM] = mirrored.reshape(*lead, ACTION_DIM)
    if packed.shape[-1] > ACTION_DIM:
        out[..., MASK_SLICE] = packed[..., MASK_SLICE][..., ::-1]
    return out
