"""The per-frame state vector of the dataset: both hands' 51-number states plus which hands are present.

observation.state float32[104] = left hand state (51) | right hand state (51) | mask (left, right) as 0/1.
Each hand's 51 = wrist translation xyz (camera metres) | wrist rotation Euler xyz (rad) | 15 MANO joints x
Euler xyz (rad), see vitra_core.hands.kinematics. An absent hand's 51 numbers are zeros, never NaN.
An action is the same vector without the mask: float32[102]; its mask travels separately.
"""

from __future__ import annotations

import numpy as np

from vitra_core.hands.skeleton import MANO_JOINT_NAMES, NUM_HANDS, STATE_SIZE

HAND_SIDES = ("left", "right")
ACTION_DIM = NUM_HANDS * STATE_SIZE  # 102
STATE_DIM = ACTION_DIM + NUM_HANDS  # 104
MASK_SLICE = slice(ACTION_DIM, STATE_DIM)
DEFAULT_CHUNK_SIZE = 16  # future steps per action chunk (here, not in the torch loader: light to import)


def _hand_names(side: str) -> list[str]:
    wrist = [f"{side}.wrist_t{a}_m" for a in "xyz"] + [f"{side}.wrist_r{a}_rad" for a in "xyz"]
    joints = [f"{side}.{joint}_r{a}_rad" for joint in MANO_JOINT_NAMES for a in "xyz"]
    return wrist + joints


STATE_NAMES = [name for side in HAND_SIDES for name in _hand_names(side)] + [f"{side}.present" for side in HAND_SIDES]


def pack_state(state: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[T, 2, 51] hand states (NaN where absent) and [T, 2] mask -> [T, 104] float32 without NaN.

    A hand marked present whose state is not finite counts as absent.
    """
    present = mask.astype(bool) & np.isfinite(state).all(axis=-1)
    hands = np.where(present[..., None], state, 0.0).reshape(len(state), ACTION_DIM)
    return np.concatenate([hands, present.astype(np.float64)], axis=1).astype(np.float32)


def unpack_state(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[..., 104] -> hand states [..., 2, 51] (zeros where absent) and mask [..., 2] bool."""
    hands = packed[..., :ACTION_DIM].reshape(*packed.shape[:-1], NUM_HANDS, STATE_SIZE)
    return hands, packed[..., MASK_SLICE] > 0.5

