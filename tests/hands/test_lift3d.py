"""Camera-space lifting, checked where the truth is known: real hand shapes placed in front of a camera."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from vitra_core.hands.lift3d import lift_to_camera, scale_to_palm_length
from vitra_core.video.intrinsics import resolve_intrinsics

CAMERA = resolve_intrinsics(640, 480, None, 60.0).matrix()


@pytest.fixture(scope="module")
def scene(shared_data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World shapes [N, 21, 3], their true camera-space joints [N, 21, 3] and projections [N, 21, 2].

    Every fifth reference frame, scaled to a 9 cm palm, turned at random and put 0.3-0.9 m away.
    """
    world = np.array(json.loads((shared_data / "tfjs" / "asl_hand_3d.full.json").read_text()))[::5]
    rng = np.random.default_rng(7)
    turns = Rotation.from_rotvec(rng.normal(0, 0.4, (len(world), 3))).as_matrix()
    positions = np.stack([rng.uniform(-0.1, 0.1, len(world)), rng.uniform(-0.1, 0.1, len(world)),
                          rng.uniform(0.3, 0.9, len(world))], axis=1)
    truth = np.einsum("nij,nkj->nki", turns, scale_to_palm_length(world, 0.09)) + positions[:, None]
    projected = (truth @ CAMERA.T)[..., :2] / truth[..., 2:]
    return world, truth, projected


def test_exact_landmarks_and_right_hand_size_give_the_true_joints(scene) -> None:
    world, truth, projected = scene
    lifted = lift_to_camera(projected, world, CAMERA, palm_length_m=0.09)
    assert np.abs(lifted - truth).max() < 1e-6


def test_one_pixel_landmark_noise_moves_joints_by_millimetres(scene) -> None:
    world, truth, projected = scene
    noisy = projected + np.random.default_rng(3).normal(0, 1.0, projected.shape)
    error_m = np.linalg.norm(lift_to_camera(noisy, world, CAMERA, 0.09) - truth, axis=-1)
    assert np.median(error_m) < 0.02
    relative_depth_error = np.abs(error_m / truth[..., 2])
    assert np.median(relative_depth_error) < 0.03


def test_depth_scales_with_the_hand_size_prior(scene) -> None:
    world, truth, projected = scene
    lifted = lift_to_camera(projected, world, CAMERA, palm_length_m=0.099)
    np.testing.assert_allclose(lifted / truth, 1.1, rtol=1e-5)
    reprojected = (lifted @ CAMERA.T)[..., :2] / lifted[..., 2:]
    np.testing.assert_allclose(reprojected, projected, atol=1e-6)
