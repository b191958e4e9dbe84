"""Horizontal flip of hand states: an involution, and exactly the reflection of the hands' joints."""

from __future__ import annotations

import numpy as np
import pytest

from vitra_core.episodes import STATE_DIM, mirror_dataset_state, mirror_hand_state, mirror_rest_pose, pack_state
from vitra_core.episodes.mirror import REFLECT_CAMERA
from vitra_core.hands.kinematics import (
    euler_to_matrix, estimate_rest_pose, forward_kinematics, inverse_kinematics,
)
from vitra_core.hands.skeleton import LEFT, RIGHT


@pytest.fixture(scope="module")
def cooking(episode_sources):
    """The cooking clip has both hands (the left holds the pan, the right stirs)."""
    poses = episode_sources["cooking"].poses
    assert poses.mask[:, LEFT].any() and poses.mask[:, RIGHT].any()
    return poses


def _rotations(state: np.ndarray) -> np.ndarray:
    return euler_to_matrix(state[..., 3:].reshape(*state.shape[:-1], 16, 3))


def test_mirroring_twice_is_the_identity(cooking):
    for hand in (LEFT, RIGHT):
        state = cooking.state[cooking.mask[:, hand], hand]
        twice = mirror_hand_state(mirror_hand_state(state))
        np.testing.assert_allclose(twice[:, :3], state[:, :3], atol=1e-12)
        np.testing.assert_allclose(_rotations(twice), _rotations(state), atol=1e-9)
    packed = pack_state(cooking.state, cooking.mask)
    np.testing.assert_allclose(mirror_dataset_state(mirror_dataset_state(packed)), packed, atol=1e-5)


@pytest.mark.parametrize("hand", [LEFT, RIGHT])
def test_fk_of_mirrored_state_is_the_mirrored_joints(cooking, hand):
    present = cooking.mask[:, hand]
    state, rest = cooking.state[present, hand], cooking.rest_pose_m[hand]
    joints = forward_kinematics(state, rest)
    np.testing.assert_allclose(joints, cooking.joints_cam[present, hand], atol=1e-9)  # the stage's own contract
    mirrored_joints = joints @ REFLECT_CAMERA
    np.testing.assert_allclose(forward_kinematics(mirror_hand_state(state), mirror_rest_pose(rest)), mirrored_joints,
                               atol=1e-9)
    # the mirrored skeleton is the one the hand-pose stage would estimate for the reflected hand as the other side
    np.testing.assert_allclose(estimate_rest_pose(mirrored_joints, is_right=hand == LEFT), mirror_rest_pose(rest),
                               atol=1e-9)
    # and inverse kinematics of the reflected joints on that skeleton recovers the mirrored state
    recovered = inverse_kinematics(mirrored_joints, mirror_rest_pose(rest))
    np.testing.assert_allclose(_rotations(recovered), _rotations(mirror_hand_state(state)), atol=1e-6)
    np.testing.assert_allclose(recovered[:, :3], mirrored_joints[:, 0], atol=1e-9)


def test_a_flip_swaps_hand_slots_and_keeps_absent_hands_zero(cooking):
    packed = pack_state(cooking.state, cooking.mask)
    flipped = mirror_dataset_state(packed)
    assert flipped.shape == (cooking.num_frames, STATE_DIM) and np.isfinite(flipped).all()
    np.testing.assert_array_equal(flipped[:, 102:], packed[:, 102:][:, ::-1])
    only_left = cooking.mask[:, LEFT] & ~cooking.mask[:, RIGHT]
    assert only_left.any()
    assert (flipped[only_left, :51] == 0).all()  # the new left slot holds the (absent) right hand
    np.testing.assert_allclose(flipped[only_left, 51:54], packed[only_left, 0:3] * [-1, 1, 1], atol=1e-7)
