"""Camera poses in the dataset and hand states moved between the cameras of two frames.

Each row carries its camera's pose in the video's world frame (the first frame's camera):
`camera.world_from_camera` float32[12] = rotation R (row-major 9) | translation t (3, metres, zero
unless the camera motion was metric). A hand state seen by the camera of frame s is expressed in the
camera of an anchor frame a by T = T_a^-1 T_s: wrist translation p -> R p + t, wrist rotation
W -> R W; the 15 finger joints are local rotations and do not change. A static or unknown camera is
the identity everywhere, which leaves every state as it is.
"""

from __future__ import annotations

import numpy as np

from vitra_core.camera.rotation import relative_to
from vitra_core.episodes.state_layout import ACTION_DIM, MASK_SLICE
from vitra_core.hands.kinematics import euler_to_matrix, matrix_to_euler
from vitra_core.hands.skeleton import NUM_HANDS, STATE_SIZE

POSE_WIDTH = 12
POSE_NAMES = [f"r{i}{j}" for i in range(3) for j in range(3)] + ["tx_m", "ty_m", "tz_m"]


def identity_poses(frames: int) -> np.ndarray:
    """[frames, 12] poses of a camera that never moved."""
    return np.tile(np.concatenate([np.eye(3).ravel(), np.zeros(3)]), (frames, 1)).astype(np.float32)


def pack_poses(rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """R [T, 3, 3] and t [T, 3] (camera to world) -> [T, 12] float32."""
    return np.concatenate([rotation.reshape(len(rotation), 9), translation], axis=1).astype(np.float32)


def unpack_poses(poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    poses = np.asarray(poses, dtype=np.float64)
    return poses[..., :9].reshape(*poses.shape[:-1], 3, 3), poses[..., 9:]


def relative_poses(poses: np.ndarray, anchor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R [N, 3, 3], t [N, 3]) mapping each pose's camera coordinates into the camera of `anchor` [12]."""
    return relative_to(*unpack_poses(poses), *unpack_poses(anchor))


def move_states(packed: np.ndarray, rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """[N, 104] (or [N, 102]) hand states -> the same hands in another camera, per row (R [N, 3, 3], t [N, 3]).
    Absent hands stay zeros."""
    packed = np.asarray(packed)
    out = packed.astype(np.float64).copy()
    hands = out[:, :ACTION_DIM].reshape(len(out), NUM_HANDS, STATE_SIZE)
    present = packed[:, MASK_SLICE] > 0.5 if packed.shape[1] > ACTION_DIM else np.ones((len(out), NUM_HANDS), bool)
    moved_p = np.einsum("nij,nhj->nhi", rotation, hands[..., :3]) + translation[:, None, :]
    moved_w = matrix_to_euler(np.einsum("nij,nhjk->nhik", rotation, euler_to_matrix(hands[..., 3:6])))
    hands[..., :3] = np.where(present[..., None], moved_p, 0.0)
    hands[..., 3:6] = np.where(present[..., None], moved_w, 0.0)
    out[:, :ACTION_DIM] = hands.reshape(len(out), ACTION_DIM)
    return out.astype(packed.dtype)


def next_state_in_current_camera(states: np.ndarray, poses: np.ndarray, start: int, end: int) -> np.ndarray:
    """`action` of frames [start, end) of a recording: its next frame's state (the last frame holds its own),
    seen from the camera of the acting frame, so the camera's own motion is not part of the action."""
    follow = np.minimum(np.arange(start + 1, end + 1), len(states) - 1)
    rotation, translation = relative_to(*unpack_poses(poses[follow]), *unpack_poses(poses[start:end]))
    return move_states(states[follow], rotation, translation).astype(np.float32)
