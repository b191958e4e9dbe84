"""The 51-number hand state (VITRA's layout) and its forward kinematics on a MANO-like skeleton.

state = wrist translation (3, camera metres) + wrist rotation (3) + 15 joint rotations (15 x 3),
rotations as Euler angles (scipy "xyz": extrinsic x, then y, then z), joints in MANO's order
(index, middle, pinky, ring, thumb; proximal first). A hand's skeleton is its `rest_pose` [21, 3]:
the palm points (wrist at the origin) in the palm frame and straight fingers continuing each
wrist-to-base direction, which also fixes the bone lengths. FK(IK(joints)) returns joints whose palm
is the rest palm fitted to theirs (Kabsch) and whose finger bones point along theirs; it is exact
for joints of the skeleton, such as those `conform_to_skeleton` returns.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from vitra_core.hands.skeleton import (
    BONES, CHAINS, EULER_ORDER, INDEX_MCP, MIDDLE_MCP, NUM_LANDMARKS, PALM, PINKY_MCP, WRIST,
)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def euler_to_matrix(angles: np.ndarray) -> np.ndarray:
    """[..., 3] Euler angles (radians) -> [..., 3, 3] rotation matrices."""
    flat = Rotation.from_euler(EULER_ORDER, angles.reshape(-1, 3)).as_matrix()
    return flat.reshape(*angles.shape[:-1], 3, 3)


def matrix_to_euler(matrices: np.ndarray) -> np.ndarray:
    """[..., 3, 3] rotation matrices -> [..., 3] Euler angles (radians)."""
    flat = Rotation.from_matrix(matrices.reshape(-1, 3, 3)).as_euler(EULER_ORDER)
    return flat.reshape(*matrices.shape[:-2], 3)


def palm_frames(joints: np.ndarray, is_right: bool) -> np.ndarray:
    """[..., 3, 3] palm frames (columns are axes) of [..., 21, 3] joints.

    x points from the wrist to the middle knuckle, z out of the back of the hand on either hand,
    y = z cross x (toward the thumb side on a right hand, the little-finger side on a left hand).
    """
    x = _unit(joints[..., MIDDLE_MCP, :] - joints[..., WRIST, :])
    across = joints[..., INDEX_MCP, :] - joints[..., PINKY_MCP, :]
    across = across if is_right else -across
    y = _unit(across - np.sum(across * x, axis=-1, keepdims=True) * x)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def _chain_geometry(rest_pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rest direction of each finger [5, 3] and its three bone lengths [5, 3] (metres)."""
    directions = _unit(rest_pose[CHAINS[:, 0]] - rest_pose[WRIST])
    lengths = np.linalg.norm(rest_pose[CHAINS + 1] - rest_pose[CHAINS], axis=-1)
    return directions, lengths


def estimate_rest_pose(joints: np.ndarray, is_right: bool) -> np.ndarray:
    """[21, 3] skeleton of one hand from its [N, 21, 3] camera-space joints over N frames.

    Palm points are the per-axis median of their palm-frame coordinates; bone lengths are medians.
    """
    frames = palm_frames(joints, is_right)
    palm_local = np.einsum("nji,nkj->nki", frames, joints[:, PALM] - joints[:, WRIST, None])
    lengths = np.median(np.linalg.norm(joints[:, BONES[:, 1]] - joints[:, BONES[:, 0]], axis=-1), axis=0)
    rest = np.zeros((NUM_LANDMARKS, 3))
    rest[PALM] = np.median(palm_local, axis=0)
    directions = _unit(rest[CHAINS[:, 0]])
    for k in range(CHAINS.shape[1]):
        rest[CHAINS[:, k] + 1] = rest[CHAINS[:, k]] + lengths[CHAINS[:, k], None] * directions
    return rest


def bone_lengths(rest_pose: np.ndarray) -> np.ndarray:
    """[..., 20] length (metres) of each bone, bone i ending at landmark i + 1."""
    return np.linalg.norm(rest_pose[..., BONES[:, 1], :] - rest_pose[..., BONES[:, 0], :], axis=-1)


def fit_palm(rest_palm: np.ndarray, palm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kabsch: rotation [..., 3, 3] and wrist position [..., 3] best mapping rest palm [6, 3] onto palm [..., 6, 3]."""
    rest_centre, centre = rest_palm.mean(axis=0), palm.mean(axis=-2)
    covariance = np.einsum("ki,...kj->...ij", rest_palm - rest_centre, palm - centre[..., None, :])
    u, _, vt = np.linalg.svd(covariance)
    flip = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    vt[..., 2, :] *= flip[..., None]
    rotation = np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)
    return rotation, centre - rotation @ rest_centre


def _swing(rest: np.ndarray, target: np.ndarray) -> np.ndarray:
    """[..., C, 3, 3] smallest rotations taking unit vectors rest [C, 3] to unit vectors target [..., C, 3].

    Twist about a bone leaves every landmark in place, so it cannot be observed and is set to zero.
    """
    axis = np.cross(rest, target)
    cos = np.sum(rest * target, axis=-1)[..., None, None]
    skew = np.zeros(axis.shape + (3,))
    skew[..., 0, 1], skew[..., 0, 2], skew[..., 1, 2] = -axis[..., 2], axis[..., 1], -axis[..., 0]
    skew -= np.swapaxes(skew, -1, -2)
    rotation = np.eye(3) + skew + skew @ skew / np.maximum(1 + cos, 1e-12)
    helper = np.eye(3)[np.argmin(np.abs(rest), axis=-1)]
    normal = _unit(np.cross(rest, helper))
    half_turn = 2 * normal[..., :, None] * normal[..., None, :] - np.eye(3)
    return np.where(cos < -1 + 1e-9, half_turn, rotation)


def conform_to_skeleton(joints: np.ndarray, rest_pose: np.ndarray) -> np.ndarray:
    """[..., 21, 3] joints of the skeleton `rest_pose` [21, 3] that best match [..., 21, 3] camera-space joints.

    The rest palm is fitted in 3D (Kabsch); then, finger by finger outward, each joint goes on the
    camera ray through its target at the skeleton's bone length from its parent, taking of the two
    such points the one nearer the target's distance (MediaPipe's relative depth). So the result
    reprojects onto the targets wherever the bone can reach the ray; where it cannot, the bone
    points at the ray's nearest point.
    """
    rotation, wrist = fit_palm(rest_pose[PALM], joints[..., PALM, :])
    _, lengths = _chain_geometry(rest_pose)
    fitted = np.empty(joints.shape)
    fitted[..., PALM, :] = wrist[..., None, :] + np.einsum("...ij,kj->...ki", rotation, rest_pose[PALM])
    for k in range(CHAINS.shape[1]):
        parent, target = fitted[..., CHAINS[:, k], :], joints[..., CHAINS[:, k] + 1, :]
        ray = _unit(target)
        along = np.sum(ray * parent, axis=-1)  # distance along the ray to the point nearest the parent
        reach = along**2 - np.sum(parent**2, axis=-1) + lengths[:, k] ** 2
        spread = np.sqrt(np.maximum(reach, 0))
        distance = np.linalg.norm(target, axis=-1)
        far = np.abs(along + spread - distance) < np.abs(along - spread - distance)
        on_ray = (along + np.where(far, spread, -spread))[..., None] * ray
        toward_ray = parent + lengths[:, k, None] * _unit(along[..., None] * ray - parent)
        fitted[..., CHAINS[:, k] + 1, :] = np.where((reach >= 0)[..., None], on_ray, toward_ray)
    return fitted


def inverse_kinematics(joints: np.ndarray, rest_pose: np.ndarray) -> np.ndarray:
    """[..., 51] state of [..., 21, 3] camera-space joints on the skeleton `rest_pose` [21, 3]."""
    rotation, wrist = fit_palm(rest_pose[PALM], joints[..., PALM, :])
    directions, _ = _chain_geometry(rest_pose)
    frames = np.repeat(rotation[..., None, :, :], len(CHAINS), axis=-3)
    locals_ = []
    for k in range(CHAINS.shape[1]):
        bone = joints[..., CHAINS[:, k] + 1, :] - joints[..., CHAINS[:, k], :]
        local = _swing(directions, _unit(np.einsum("...cji,...cj->...ci", frames, bone)))
        frames = frames @ local
        locals_.append(local)
    local_euler = matrix_to_euler(np.stack(locals_, axis=-3))  # [..., 5 fingers, 3 joints, 3]
    lead = joints.shape[:-2]
    return np.concatenate([wrist, matrix_to_euler(rotation), local_euler.reshape(*lead, -1)], axis=-1)


def forward_kinematics(state: np.ndarray, rest_pose: np.ndarray) -> np.ndarray:
    """[..., 21, 3] camera-space joints of [..., 51] states on the skeleton `rest_pose` [21, 3]."""
    lead = state.shape[:-1]
    rotation = euler_to_matrix(state[..., 3:6])
    local = euler_to_matrix(state[..., 6:].reshape(*lead, *CHAINS.shape, 3))
    directions, lengths = _chain_geometry(rest_pose)
    joints = np.empty(lead + (NUM_LANDMARKS, 3))
    joints[..., PALM, :] = state[..., None, :3] + np.einsum("...ij,kj->...ki", rotation, rest_pose[PALM])
    frames = np.repeat(rotation[..., None, :, :], len(CHAINS), axis=-3)
    for k in range(CHAINS.shape[1]):
        frames = frames @ local[..., :, k, :, :]
        bone = lengths[:, k, None] * np.einsum("...cij,cj->...ci", frames, directions)
        joints[..., CHAINS[:, k] + 1, :] = joints[..., CHAINS[:, k], :] + bone
    return joints
