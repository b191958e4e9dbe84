"""The whole pipeline on the tfjs ASL clip against MediaPipe's own reference landmarks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vitra_core.hands import (
    HandPoses, HandPoseSettings, extract_hand_poses, forward_kinematics, inverse_kinematics,
)
from vitra_core.hands.skeleton import MIDDLE_MCP, RIGHT, WRIST


@pytest.fixture(scope="module")
def reference(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    """2D [325, 21, 2] pixels and world [325, 21, 3] metres, as MediaPipe produced them upstream."""
    image = np.array(json.loads((shared_data / "tfjs" / "asl_hand.full.json").read_text()))[..., :2]
    world = np.array(json.loads((shared_data / "tfjs" / "asl_hand_3d.full.json").read_text()))
    return image, world


def test_the_signing_hand_is_found_in_every_frame_and_in_one_slot(asl_poses: HandPoses) -> None:
    assert asl_poses.num_frames == 325
    assert asl_poses.fps == pytest.approx(25.0)
    assert asl_poses.detected[:, RIGHT].mean() >= 0.98  # MediaPipe: "Left" (selfie) -> right hand
    assert not asl_poses.mask[:, 1 - RIGHT].any()
    assert len(set(asl_poses.track_id[asl_poses.mask[:, RIGHT], RIGHT])) == 1


def test_2d_landmarks_reproduce_the_mediapipe_reference(asl_poses: HandPoses, reference) -> None:
    detected = asl_poses.detected[:, RIGHT]
    error_px = np.linalg.norm(asl_poses.joints_2d[detected, RIGHT] - reference[0][detected], axis=-1)
    assert np.median(error_px) <= 1.0
    assert np.percentile(error_px, 95) <= 5.0


def test_raw_world_landmarks_reproduce_the_mediapipe_reference(asl_poses: HandPoses, reference) -> None:
    detected = asl_poses.detected[:, RIGHT]
    error_m = np.linalg.norm(asl_poses.world_m[detected, RIGHT] - reference[1][detected], axis=-1)
    assert np.median(error_m) <= 0.001
    assert np.percentile(error_m, 95) <= 0.002


def test_camera_space_joints_reproject_onto_the_2d_landmarks(asl_poses: HandPoses) -> None:
    present = asl_poses.mask[:, RIGHT]
    joints = asl_poses.joints_cam[present, RIGHT]
    projected = (joints @ asl_poses.intrinsics.matrix().T)[..., :2] / joints[..., 2:]
    landmarks_px = asl_poses.joints_2d[present, RIGHT]
    error_px = np.linalg.norm(projected - landmarks_px, axis=-1)
    palm_px = np.linalg.norm(landmarks_px[:, MIDDLE_MCP] - landmarks_px[:, WRIST], axis=-1)
    assert np.median(error_px / palm_px[:, None]) < 0.03
    assert (joints[..., 2] > 0.2).all() and (joints[..., 2] < 1.5).all()


def test_state_reproduces_the_joints_through_forward_kinematics(asl_poses: HandPoses) -> None:
    present = asl_poses.mask[:, RIGHT]
    rest = asl_poses.rest_pose_m[RIGHT]
    joints = asl_poses.joints_cam[present, RIGHT]
    assert np.abs(forward_kinematics(asl_poses.state[present, RIGHT], rest) - joints).max() < 1e-3
    round_trip = forward_kinematics(inverse_kinematics(joints, rest), rest)
    assert np.abs(round_trip - joints).max() < 1e-3


def test_bone_lengths_follow_the_hand_size_prior(asl_poses: HandPoses) -> None:
    bones = asl_poses.bone_lengths_m[RIGHT]
    assert bones[MIDDLE_MCP - 1] == pytest.approx(asl_poses.settings.palm_length_m, rel=0.05)
    assert ((bones > 0.01) & (bones < 0.11)).all()
    assert np.isnan(asl_poses.bone_lengths_m[1 - RIGHT]).all()


def test_absent_hands_are_nan_everywhere(asl_poses: HandPoses) -> None:
    absent = ~asl_poses.mask
    for values in (asl_poses.joints_2d, asl_poses.joints_cam, asl_poses.state, asl_poses.confidence):
        assert np.isnan(values[absent]).all()
        assert np.isfinite(values[~absent]).all()
    assert (asl_poses.confidence[asl_poses.mask] > 0.5).mean() > 0.95


def test_temporal_smoothing_reduces_depth_jitter(asl_poses: HandPoses, asl_video: Path) -> None:
    raw = extract_hand_poses(asl_video, settings=HandPoseSettings(smoothing_window_frames=1))

    def jitter_m(poses: HandPoses) -> float:
        wrist_z = poses.joints_cam[:, RIGHT, WRIST, 2]
        return float(np.median(np.abs(np.diff(wrist_z, n=2))))
    assert jitter_m(asl_poses) < 0.5 * jitter_m(raw)
    assert np.allclose(asl_poses.joints_2d, raw.joints_2d, equal_nan=True)
