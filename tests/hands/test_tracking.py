"""Hand identity and the left/right slot rule, on hand-made detection sequences."""

from __future__ import annotations

import numpy as np

from vitra_core.hands.detect import HandDetection
from vitra_core.hands.settings import HandPoseSettings
from vitra_core.hands.tracking import assign_slots, link_tracks

SETTINGS = HandPoseSettings()
_SHAPE_PX = np.random.default_rng(0).uniform(0, 100, (21, 2))  # a 100 px hand


def hand(x_px: float, right_prob: float, score: float = 0.9) -> HandDetection:
    return HandDetection(image_px=_SHAPE_PX + [x_px, 0.0], world_m=np.zeros((21, 3)), mediapipe_label="Left",
                         mediapipe_score=score, right_prob=right_prob)


def test_a_hand_keeps_its_identity_and_side_when_its_label_flickers() -> None:
    frames = [[hand(10.0 * t, 0.05 if t == 3 else 0.9)] for t in range(8)]
    slots = assign_slots(frames, SETTINGS)
    assert slots.track_id[:, 1].tolist() == [0] * 8
    assert (slots.detection_index[:, 0] == -1).all()


def test_track_survives_a_short_gap_but_a_far_jump_starts_a_new_hand() -> None:
    frames = [[hand(0, 0.9)], [], [], [hand(20, 0.9)], [hand(500, 0.9)]]
    ids = link_tracks(frames, SETTINGS)
    assert [frame_ids.tolist() for frame_ids in ids] == [[0], [], [], [0], [1]]


def test_two_hands_crossing_order_keep_their_identities() -> None:
    frames = [[hand(0, 0.1), hand(300, 0.9)], [hand(310, 0.9), hand(5, 0.1)]]
    ids = link_tracks(frames, SETTINGS)
    assert ids[0].tolist() == [0, 1] and ids[1].tolist() == [1, 0]
    slots = assign_slots(frames, SETTINGS)
    assert slots.detection_index.tolist() == [[0, 1], [1, 0]]


def test_a_hand_reported_twice_is_one_hand() -> None:
    frames = [[hand(0, 0.9, score=0.8), hand(3, 0.9, score=0.95)]]
    assert link_tracks(frames, SETTINGS)[0].tolist() == [-1, 0]
    slots = assign_slots(frames, SETTINGS)
    assert slots.detection_index.tolist() == [[-1, 1]]
    assert slots.num_detected.tolist() == [2]


def test_ambiguous_hand_takes_the_free_slot_next_to_a_confident_one() -> None:
    frames = [[hand(0, 0.95), hand(300, 0.6)]]
    assert assign_slots(frames, SETTINGS).detection_index.tolist() == [[1, 0]]


def test_confident_hand_of_a_taken_side_is_left_out() -> None:
    frames = [[hand(0, 0.95), hand(300, 0.85)]]
    slots = assign_slots(frames, SETTINGS)
    assert slots.detection_index.tolist() == [[-1, 0]]
    assert slots.num_detected.tolist() == [2]
