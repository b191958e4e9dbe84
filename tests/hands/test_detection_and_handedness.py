"""MediaPipe detection on real images: every hand is returned, and handedness follows the mirror flag."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vitra_core.hands import HandPoseSettings, extract_hand_poses
from vitra_core.hands.detect import HandDetection, HandDetector, right_probability
from vitra_core.hands.skeleton import LEFT, RIGHT
from vitra_core.hands.tracking import assign_slots
from vitra_core.video.frames import iter_frames


@pytest.fixture(scope="module")
def two_left_hands(shared_data: Path, detect_still) -> list[HandDetection]:
    return detect_still(shared_data / "tfjs" / "hands.jpg", mirrored=False)


def test_both_hands_in_hands_jpg_match_the_upstream_keypoints(two_left_hands, shared_data: Path) -> None:
    expected = np.array(json.loads((shared_data / "tfjs" / "hands_jpg_expected_keypoints.json").read_text())["hands"])
    assert len(two_left_hands) == 2
    for hand in expected:
        errors_px = [np.abs(found.image_px - hand).max() for found in two_left_hands]
        assert min(errors_px) < 20


def test_two_left_hands_are_labelled_right_by_mediapipe_and_left_once_unmirrored(two_left_hands) -> None:
    assert [found.mediapipe_label for found in two_left_hands] == ["Right", "Right"]
    assert all(found.right_prob < 0.1 for found in two_left_hands)


def test_two_confident_hands_of_one_side_keep_one_slot_and_are_counted(two_left_hands) -> None:
    slots = assign_slots([two_left_hands], HandPoseSettings())
    best = int(np.argmax([found.mediapipe_score for found in two_left_hands]))
    assert slots.detection_index[0].tolist() == [best, -1]
    assert slots.num_detected.tolist() == [2]


def test_right_probability_swaps_sides_unless_mirrored() -> None:
    assert right_probability("Left", 0.9, mirrored=False) == pytest.approx(0.9)
    assert right_probability("Left", 0.9, mirrored=True) == pytest.approx(0.1)
    assert right_probability("Right", 0.8, mirrored=False) == pytest.approx(0.2)


def test_mediapipe_says_left_for_the_hl_test_video_hand(shared_data: Path) -> None:
    video = shared_data / "mediapipe_samples" / "hl_test_video.mp4"
    with HandDetector(HandPoseSettings(), mirrored=True) as detector:
        found = [hand for frame in iter_frames(video, max_frames=20) for hand in detector.detect(frame.rgb)]
    labels = [hand.mediapipe_label for hand in found]
    assert len(labels) >= 18 and set(labels) == {"Left"}


@pytest.mark.parametrize(("mirrored", "slot"), [(False, RIGHT), (True, LEFT)])
def test_hl_test_video_hand_slot_follows_the_mirror_flag(shared_data: Path, mirrored: bool, slot: int) -> None:
    poses = extract_hand_poses(shared_data / "mediapipe_samples" / "hl_test_video.mp4", mirrored=mirrored)
    assert poses.mirrored is mirrored
    assert poses.detected[:, slot].mean() > 0.95
    assert not poses.mask[:, 1 - slot].any()
