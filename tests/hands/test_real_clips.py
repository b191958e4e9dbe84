"""Two-hand egocentric video and a low-frame-rate clip with gaps, end to end."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from vitra_core.hands import HandPoses, HandPoseSettings, extract_hand_poses, forward_kinematics
from vitra_core.hands.skeleton import LEFT, RIGHT, WRIST


@pytest.fixture(scope="module")
def cooking(shared_data: Path) -> HandPoses:
    """Egocentric: the left hand holds the pan (bottom left), the right one stirs (top right)."""
    return extract_hand_poses(shared_data / "lavila" / "ego4d_3c0dffd0_012_014.mp4")


def test_egocentric_hands_land_in_their_anatomical_slots(cooking: HandPoses) -> None:
    assert cooking.detected.mean(axis=0).min() > 0.5
    wrist_px = np.nanmedian(cooking.joints_2d[:, :, WRIST], axis=0)
    assert wrist_px[LEFT, 0] < wrist_px[RIGHT, 0]
    assert wrist_px[LEFT, 1] > wrist_px[RIGHT, 1]
    # num_detected counts the hands MediaPipe returned; a gap-filled (interpolated) hand is not one of them
    assert (cooking.num_detected >= cooking.detected.sum(axis=1)).all()


def test_both_hands_state_reproduces_their_joints(cooking: HandPoses) -> None:
    for hand in (LEFT, RIGHT):
        present = cooking.mask[:, hand]
        joints = forward_kinematics(cooking.state[present, hand], cooking.rest_pose_m[hand])
        assert np.abs(joints - cooking.joints_cam[present, hand]).max() < 1e-3


def test_missed_frames_inside_a_track_are_interpolated_and_flagged(shared_data: Path) -> None:
    clip = shared_data / "lavila" / "mixkit-hands-of-a-baker-kneading-a-dough-42467-medium.gif"  # 10 fps
    poses = extract_hand_poses(clip, settings=HandPoseSettings(max_gap_frames=5))
    gaps = poses.interpolated
    assert gaps.any()
    assert not (gaps & ~poses.mask).any()
    assert np.isnan(poses.world_m[gaps]).all() and np.isfinite(poses.joints_cam[gaps]).all()
    assert np.nanmax(poses.confidence[gaps]) <= 0.5
    for hand, t in zip(*np.nonzero(gaps.T)):
        run = poses.track_id[:, hand]
        assert run[t] >= 0 and run[t] in run[:t] and run[t] in run[t + 1:]
    no_fill = extract_hand_poses(clip, settings=HandPoseSettings(max_gap_frames=0))
    assert not no_fill.interpolated.any() and (no_fill.mask == no_fill.detected).all()


def test_a_photo_is_a_one_frame_input_with_unmirrored_handedness(shared_data: Path) -> None:
    # hands.jpg: two LEFT hands seen from the back; MediaPipe (selfie convention) calls both "Right"
    poses = extract_hand_poses(shared_data / "tfjs" / "hands.jpg")
    expected = np.array(json.loads((shared_data / "tfjs" / "hands_jpg_expected_keypoints.json").read_text())["hands"])
    assert poses.num_frames == 1 and poses.num_detected.tolist() == [2]
    assert poses.mask.tolist() == [[True, False]]  # one fills the left slot; the other is not relabelled right
    errors = [np.abs(poses.joints_2d[0, 0] - hand).max() for hand in expected]
    assert min(errors) <= 20  # the upstream test tolerance, in px


def test_a_clip_without_hands_gives_an_empty_result_and_a_warning(no_hands_clip: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="vitra_core.hands.extract"):
        poses = extract_hand_poses(no_hands_clip)
    assert poses.num_frames == 60 and not poses.mask.any() and poses.num_detected.sum() == 0
    assert np.isnan(poses.state).all() and np.isnan(poses.joints_cam).all()
    assert caplog.messages == [f"{no_hands_clip.name}: no hands detected in 60 frames"]
