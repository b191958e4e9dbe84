"""Each motion primitive on a synthetic hand doing exactly that movement (thresholds: SegmentSettings)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.segments.synthetic import bell_path, hand_state, make_poses
from vitra_core.segments import SegmentSettings, segment_hand_poses

START = np.array([0.0, 0.0, 0.5])


def primitives_of(wrist: np.ndarray, flexion=0.2, wrist_euler=None, settings: SegmentSettings | None = None):
    """Primitives of the single segment a right hand makes with this motion."""
    flexion = np.broadcast_to(np.asarray(flexion, float), (len(wrist),)).copy()
    poses = make_poses({1: hand_state(wrist, flexion, wrist_euler)})
    segments = segment_hand_poses(poses, settings).segments
    assert len(segments) == 1, [(s.start_frame, s.end_frame) for s in segments]
    return segments[0].primitives


def still(num_frames: int = 30, drift_m: float = 0.02) -> np.ndarray:
    return bell_path(START, START + [drift_m, 0, 0], num_frames)


def ramp(a: float, b: float, n: int = 30) -> np.ndarray:
    return np.linspace(a, b, n)


def test_straight_decelerating_move_with_an_open_hand_is_a_reach() -> None:
    assert primitives_of(bell_path(START, START + [0.2, 0, 0], 30)) == ["reach"]


def test_reach_needs_an_open_or_opening_hand() -> None:
    assert "reach" not in primitives_of(bell_path(START, START + [0.2, 0, 0], 30), flexion=1.2)


def test_closing_fingers_are_a_grasp_and_opening_ones_a_release() -> None:
    assert primitives_of(still(), flexion=ramp(0.2, 1.2)) == ["grasp"]
    assert primitives_of(still(), flexion=ramp(1.2, 0.2)) == ["release"]


def test_image_up_is_a_lift_and_image_down_a_lower() -> None:
    assert "lift" in primitives_of(bell_path(START, START + [0, -0.1, 0], 30), flexion=1.0)
    assert "lower" in primitives_of(bell_path(START, START + [0, 0.1, 0], 30), flexion=1.0)


def test_moving_along_the_line_of_sight_below_the_image_centre_is_no_lower_by_default() -> None:
    # the wrist keeps its pixel, only its (size-prior) depth grows: image-up sees no rise
    below_centre = np.array([0.0, 0.2, 0.5])
    along_ray = bell_path(below_centre, 1.5 * below_centre, 30)
    assert primitives_of(along_ray, flexion=1.0) == ["push"]
    # with camera -y given as the known up, the same motion drops 0.1 m in camera space
    assert "lower" in primitives_of(along_ray, flexion=1.0, settings=SegmentSettings(up_direction_cam=(0, -1, 0)))


def test_away_from_the_camera_is_a_push_and_toward_it_a_pull() -> None:
    assert "push" in primitives_of(bell_path(START, START + [0, 0, 0.1], 30), flexion=1.0)
    assert "pull" in primitives_of(bell_path(START, START + [0, 0, -0.1], 30), flexion=1.0)


def test_sideways_move_is_neither_lift_nor_push() -> None:
    labels = primitives_of(bell_path(START, START + [0.1, 0, 0], 30), flexion=1.0)
    assert not {"lift", "lower", "push", "pull"} & set(labels)
    assert labels == ["move"]


def test_turning_the_wrist_past_the_threshold_is_a_rotate() -> None:
    euler = np.zeros((30, 3))
    euler[:, 2] = ramp(0, math.radians(60))
    assert primitives_of(still(), flexion=1.0, wrist_euler=euler) == ["rotate"]
    euler[:, 2] = ramp(0, math.radians(20))
    assert "rotate" not in primitives_of(still(), flexion=1.0, wrist_euler=euler)


def test_slow_closed_hand_holds_and_slow_open_hand_is_still() -> None:
    assert primitives_of(still(), flexion=1.0) == ["hold"]
    assert primitives_of(still(), flexion=0.2) == ["still"]


def test_a_segment_can_carry_several_primitives() -> None:
    labels = primitives_of(bell_path(START, START + [0, -0.1, 0.1], 30), flexion=ramp(0.2, 1.2))
    assert labels == ["grasp", "lift", "push"]


@pytest.mark.parametrize("pitch_deg", [30, 60])
def test_known_up_direction_of_a_tilted_camera_decides_lift(pitch_deg: float) -> None:
    # camera pitched down by `pitch`: world-up in camera coordinates is (0, -cos, -sin)
    pitch = math.radians(pitch_deg)
    up = (0.0, -math.cos(pitch), -math.sin(pitch))
    world_lift = 0.1 * np.array(up)
    tilted = SegmentSettings(up_direction_cam=up)
    assert primitives_of(bell_path(START, START + world_lift, 30), flexion=1.0, settings=tilted) == ["lift"]
    # the same motion judged with image-up: also a lift, but with a pull toward the camera
    default_labels = primitives_of(bell_path(START, START + world_lift, 30), flexion=1.0)
    assert "lift" in default_labels and "pull" in default_labels
