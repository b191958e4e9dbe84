"""The 51-number state and its forward kinematics, on real hand shapes (MediaPipe's reference world landmarks)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vitra_core.hands.kinematics import (
    bone_lengths, conform_to_skeleton, estimate_rest_pose, euler_to_matrix, forward_kinematics, inverse_kinematics,
    palm_frames,
)
from vitra_core.hands.skeleton import CHAINS, MANO_JOINT_NAMES, MIDDLE_MCP, STATE_SIZE, WRIST

OFFSET_M = np.array([0.05, -0.02, 0.6])  # put the hand in front of a camera


@pytest.fixture(scope="module")
def real_hands(shared_data: Path) -> np.ndarray:
    """[325, 21, 3] real hand poses in metres, shifted in front of the camera."""
    world = np.array(json.loads((shared_data / "tfjs" / "asl_hand_3d.full.json").read_text()))
    return world + OFFSET_M


@pytest.fixture(scope="module")
def rest_pose(real_hands: np.ndarray) -> np.ndarray:
    return estimate_rest_pose(real_hands, is_right=True)


def _finger_bones(joints: np.ndarray) -> np.ndarray:
    """[..., 5, 3, 3] the vector of every finger bone."""
    return joints[..., CHAINS + 1, :] - joints[..., CHAINS, :]


def test_state_layout_is_wrist_pose_then_fifteen_mano_joints() -> None:
    assert STATE_SIZE == 3 + 3 + 3 * len(MANO_JOINT_NAMES) == 51
    assert MANO_JOINT_NAMES[:3] == ("index1", "index2", "index3") and MANO_JOINT_NAMES[-1] == "thumb3"
    assert CHAINS.size == len(MANO_JOINT_NAMES)


def test_zero_state_is_the_rest_pose_at_the_origin(rest_pose: np.ndarray) -> None:
    np.testing.assert_allclose(forward_kinematics(np.zeros(STATE_SIZE), rest_pose), rest_pose, atol=1e-12)
    assert rest_pose[WRIST].tolist() == [0, 0, 0]


def test_rest_pose_keeps_the_median_bone_lengths(real_hands: np.ndarray, rest_pose: np.ndarray) -> None:
    measured = np.median(bone_lengths(real_hands), axis=0)
    np.testing.assert_allclose(bone_lengths(rest_pose)[CHAINS], measured[CHAINS], atol=1e-12)


def test_state_of_model_joints_round_trips_below_a_micrometre(real_hands: np.ndarray, rest_pose) -> None:
    model_joints = forward_kinematics(inverse_kinematics(real_hands, rest_pose), rest_pose)
    state = inverse_kinematics(model_joints, rest_pose)
    assert state.shape == (len(real_hands), STATE_SIZE)
    assert np.abs(forward_kinematics(state, rest_pose) - model_joints).max() < 1e-6


def test_fit_to_measured_joints_keeps_finger_directions_and_wrist(real_hands: np.ndarray, rest_pose) -> None:
    state = inverse_kinematics(real_hands, rest_pose)
    model_joints = forward_kinematics(state, rest_pose)
    error_m = np.linalg.norm(model_joints - real_hands, axis=-1)
    assert np.median(error_m) < 0.005
    assert np.median(error_m[:, WRIST]) < 0.003
    model_bones, real_bones = _finger_bones(model_joints), _finger_bones(real_hands)
    cosine = np.sum(model_bones * real_bones, -1)
    cosine /= np.linalg.norm(model_bones, axis=-1) * np.linalg.norm(real_bones, axis=-1)
    assert cosine.min() > 1 - 1e-9


def test_any_state_round_trips_through_the_joints(rest_pose: np.ndarray) -> None:
    states = np.random.default_rng(1).uniform(-1.2, 1.2, (200, STATE_SIZE))
    joints = forward_kinematics(states, rest_pose)
    again = forward_kinematics(inverse_kinematics(joints, rest_pose), rest_pose)
    assert np.abs(again - joints).max() < 1e-9
    np.testing.assert_allclose(inverse_kinematics(joints, rest_pose)[:, :6], states[:, :6], atol=1e-9)


def test_a_finger_bent_straight_back_is_still_represented(rest_pose: np.ndarray) -> None:
    joints = rest_pose.copy()
    joints[6:9] = joints[5] - (joints[6:9] - joints[5])  # index finger folded 180 degrees at the knuckle
    np.testing.assert_allclose(forward_kinematics(inverse_kinematics(joints, rest_pose), rest_pose), joints, atol=1e-9)


def test_palm_frame_points_out_of_the_back_of_either_hand(rest_pose: np.ndarray) -> None:
    palm_toward_camera_right = np.zeros((21, 3))
    palm_toward_camera_right[[WRIST, MIDDLE_MCP, 5, 17]] = [[0, 0, 0], [0, -0.1, 0], [0.03, -0.1, 0], [-0.03, -0.1, 0]]
    mirrored_left = palm_toward_camera_right * [-1, 1, 1]
    backs = [palm_frames(palm_toward_camera_right, True)[:, 2], palm_frames(mirrored_left, False)[:, 2]]
    np.testing.assert_allclose(backs, [[0, 0, 1], [0, 0, 1]], atol=1e-12)
    assert np.linalg.det(palm_frames(mirrored_left, False)) == pytest.approx(1.0)


def test_euler_angles_are_extrinsic_xyz() -> None:
    angles = np.array([0.3, -0.2, 0.5])
    rx, ry, rz = (euler_to_matrix(np.eye(3)[i] * angles[i]) for i in range(3))
    np.testing.assert_allclose(euler_to_matrix(angles), rz @ ry @ rx, atol=1e-12)


def test_conformed_joints_keep_the_skeleton_and_the_camera_rays(real_hands: np.ndarray, rest_pose) -> None:
    model_joints = forward_kinematics(inverse_kinematics(real_hands, rest_pose), rest_pose)
    stretched = model_joints * np.random.default_rng(2).uniform(0.99, 1.01, model_joints.shape[:-1] + (1,))
    conformed = conform_to_skeleton(stretched, rest_pose)
    assert np.abs(bone_lengths(conformed) - bone_lengths(rest_pose)).max() < 1e-9
    rays = conformed / np.linalg.norm(conformed, axis=-1, keepdims=True)
    targets = stretched / np.linalg.norm(stretched, axis=-1, keepdims=True)
    assert np.median(np.linalg.norm(rays - targets, axis=-1)[:, CHAINS + 1]) < 1e-9
    exact = inverse_kinematics(conformed, rest_pose)
    assert np.abs(forward_kinematics(exact, rest_pose) - conformed).max() < 1e-9
