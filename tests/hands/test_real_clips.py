"""Two-hand egocentric video and a low-frame-rate clip with gaps, end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vitra_core.errors import InvalidVideoError
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
    assert (cooking.num_detected >= cooking.mask.sum(axis=1)).all()


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


def test_a_still_image_is_not_a_video(shared_data: Path) -> None:
    with pytest.raises(InvalidVideoError, match="hands.jpg"):
        extract_hand_poses(shared_data / "tfjs" / "hands.jpg")
