"""Are the 3D hands physically plausible? Egocentric clips through `extract_hand_poses` with defaults.

Measured (mediapipe 0.10.21, default settings, 60 degree default field of view; mediapipe 0.10.14 with
numpy 2 where it differs, in brackets; benchmarks/hand_regression.py):
    cooking (ego4d_3c0dffd0, 60 frames, 30 fps): left hand 56 frames, right hand 43 [42] (three tracks);
        bone lengths constant to 5e-15 (relative); wrist-to-middle-tip chain 17.46 / 17.54 [17.45 / 17.63] cm;
        nearest joint 0.76 / 0.50 m, farthest 0.98 / 1.06 [1.13] m;
        wrist acceleration median / p95 / max: left 4.5 / 15.2 / 16.9 [4.7 / 13.2 / 17.9],
        right 18.7 / 88.6 / 167.0 [19.0 / 80.9 / 95.6] m/s^2.
    container lift (ego4d_cf7c12db.gif, 50 frames, 25 fps): MediaPipe's tracker finds only the blender's
        lid (top right, 10 frames); the tile fallback adds the hand lifting the container (bottom left,
        32 frames detected) and a toaster knob for 3 frames; the hand reaching for the lemon stays unfound
        (tests at the end). Slots: left 13 frames, right 34; chain 17.9 / 17.3 cm; nearest joint 0.60 /
        0.62 m, farthest 1.49 / 1.49 m (the small container hand and the knob; 60 degree default field of
        view); wrist acceleration left 24.5 / 117.2 / 146.8, right 13.0 [14.6] / 40.7 / 86.3 m/s^2.
"""

from __future__ import annotations

import numpy as np
import pytest

from vitra_core.hands import HandPoses
from vitra_core.hands.kinematics import bone_lengths
from vitra_core.hands.skeleton import LEFT, RIGHT, WRIST

MIDDLE_FINGER_BONES = [8, 9, 10, 11]  # bones ending at landmarks 9, 10, 11, 12 (bone i ends at i + 1)


@pytest.fixture(params=["cooking_poses", "container_lift_poses"])
def poses(request) -> HandPoses:
    return request.getfixturevalue(request.param)


def _present_hands(poses: HandPoses) -> list[int]:
    hands = [hand for hand in (LEFT, RIGHT) if poses.mask[:, hand].any()]
    assert hands, "no hand present in the clip"
    return hands


def _wrist_acceleration_m_s2(poses: HandPoses, hand: int) -> np.ndarray:
    """|second finite difference| of the wrist over each run of three present frames of one track."""
    track, wrist_m, t_s = poses.track_id[:, hand], poses.joints_cam[:, hand, WRIST], poses.timestamps_s
    mid = np.arange(1, poses.num_frames - 1)
    ok = (track[mid - 1] >= 0) & (track[mid - 1] == track[mid]) & (track[mid] == track[mid + 1])
    mid = mid[ok]
    dt_before, dt_after = t_s[mid] - t_s[mid - 1], t_s[mid + 1] - t_s[mid]
    velocity_before = (wrist_m[mid] - wrist_m[mid - 1]) / dt_before[:, None]
    velocity_after = (wrist_m[mid + 1] - wrist_m[mid]) / dt_after[:, None]
    acceleration = (velocity_after - velocity_before) / ((dt_before + dt_after) / 2)[:, None]
    return np.linalg.norm(acceleration, axis=1)


def test_every_bone_keeps_its_length_within_10_percent_over_time(poses: HandPoses) -> None:
    # measured: constant to 5e-15 (joints_cam is forward kinematics of one rigid skeleton per hand);
    # MediaPipe's own world landmarks vary 8-20 % (median CV per bone) on the cooking clip
    for hand in _present_hands(poses):
        per_frame_m = bone_lengths(poses.joints_cam[poses.mask[:, hand], hand])  # [n, 20]
        over_time = np.abs(per_frame_m / np.median(per_frame_m, axis=0) - 1).max()
        against_skeleton = np.abs(per_frame_m / poses.bone_lengths_m[hand] - 1).max()
        assert over_time < 0.10 and against_skeleton < 0.10, (hand, over_time, against_skeleton)


def test_wrist_to_middle_fingertip_is_an_adult_hand_length(poses: HandPoses) -> None:
    # Along the chain 0-9-10-11-12: the straight line 0-12 shrinks as the finger bends (cooking's
    # stirring hand: 9.5-13.9 cm straight vs 17.5 cm along the chain). Adult hand length, wrist crease
    # to middle fingertip, runs from ~16.4 cm (5th percentile of women) to ~21.2 cm (95th of men) in
    # anthropometric surveys (ANSUR); 15-22 cm leaves ~1 cm either side. The palm part is fixed by
    # the 9.5 cm prior, so this checks the finger bones. Measured 17.3-17.9 cm.
    for hand in _present_hands(poses):
        chain_m = bone_lengths(poses.joints_cam[poses.mask[:, hand], hand])[:, MIDDLE_FINGER_BONES].sum(axis=1)
        assert 0.15 <= chain_m.min() and chain_m.max() <= 0.22, (hand, chain_m.min(), chain_m.max())


def test_every_joint_of_a_present_hand_is_in_front_of_the_camera_within_reach(poses: HandPoses) -> None:
    # z > 0 is physics; the 1.5 m cap is arm's reach from a head-worn camera (~0.7 m) times up to ~1.7
    # for the 60 degree default field of view against a wide-angle egocentric camera (depth scales
    # with the focal length), plus depth noise. Measured 0.50-1.49 m (1.49: the container GIF's small,
    # fallback-found hand and a toaster knob, 30-40 px across).
    for hand in _present_hands(poses):
        depth_m = poses.joints_cam[poses.mask[:, hand], hand, :, 2]
        assert np.isfinite(depth_m).all()
        assert depth_m.min() > 0 and depth_m.max() < 1.5, (hand, depth_m.min(), depth_m.max())


def test_wrist_acceleration_stays_humanly_plausible_in_most_frames(poses: HandPoses) -> None:
    # A wrist in everyday manipulation rarely exceeds 50-100 m/s^2. The camera is head-worn, so head
    # motion adds to it, and monocular depth noise inflates it: at 30 fps a 1 cm wrist jitter alone
    # is 20-40 m/s^2. Measured per hand: median 4.5-24.5, p95 15.2-117.2 m/s^2 (117.2: 8 samples of
    # the container GIF's left slot). The MAX is not bounded: with mediapipe 0.10.21 the stirring hand
    # reaches 167 m/s^2 (96 with 0.10.14) in frames 39-42: as it leaves the top of the frame,
    # MediaPipe's landmarks shrink from 74 to 38 px and the lifted wrist depth zigzags
    # 0.87/0.96/0.88/0.94 m even after smoothing; unsmoothed it jumps 0.58 -> 1.33 m in one frame.
    # Bounds: median < 30, p95 < 120 m/s^2. Without smoothing the right hand's p95 is 539 m/s^2.
    measured = 0
    for hand in _present_hands(poses):
        acceleration = _wrist_acceleration_m_s2(poses, hand)
        if len(acceleration) < 5:  # too few runs of three frames for a distribution
            continue
        measured += 1
        median, p95 = np.median(acceleration), np.percentile(acceleration, 95)
        assert median < 30 and p95 < 120, (hand, median, p95, acceleration.max())
    assert measured >= 1


def test_the_hand_lifting_the_container_is_found(container_lift_poses: HandPoses) -> None:
    # The tracker alone never finds it; the tile fallback (docs/hand_poses.md) does: landmark centroid
    # in the bottom-left quarter in 34 of frames 16-49 (32 detected, 2 interpolated), detected in 24 of
    # the 25 frames of the second half, where it holds and lifts the container. MediaPipe's labels make
    # its track ambiguous (right slot, left once the lid takes the right one), so either slot counts.
    poses = container_lift_poses
    x_px, y_px = np.moveaxis(poses.joints_2d.mean(axis=2), -1, 0)  # each [T, 2], NaN where absent
    with np.errstate(invalid="ignore"):
        bottom_left = (x_px < poses.intrinsics.width / 2) & (y_px > poses.intrinsics.height / 2)
    detected = (bottom_left & poses.mask & ~poses.interpolated).any(axis=1)
    assert detected.sum() >= 25
    assert detected[poses.num_frames // 2:].sum() >= 20


@pytest.mark.xfail(strict=True, reason="the tracker still reports the blender lid (top right) as a hand")
def test_the_blender_lid_is_not_reported_as_a_hand(container_lift_poses: HandPoses) -> None:
    # Every tracker detection (10 in frames 34-49) is the white lid, wrists at y 55-68 px of 288; no
    # feature tried separates it from the real hands (docs/hand_poses.md, Fallback).
    poses = container_lift_poses
    wrist_y_px = poses.joints_2d[:, :, WRIST, 1][poses.mask]
    assert (wrist_y_px > poses.intrinsics.height / 4).all()


@pytest.mark.xfail(strict=True, reason="the hand reaching for the lemon (bottom centre) is found in one frame only")
def test_the_hand_reaching_for_the_lemon_is_found(container_lift_poses: HandPoses) -> None:
    poses = container_lift_poses
    x_px, y_px = np.moveaxis(poses.joints_2d.mean(axis=2), -1, 0)  # each [T, 2], NaN where absent
    with np.errstate(invalid="ignore"):
        bottom_centre_right = (x_px > poses.intrinsics.width / 3) & (y_px > poses.intrinsics.height / 2)
    assert (bottom_centre_right & poses.mask).any(axis=1).sum() >= 10
