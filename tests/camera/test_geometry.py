"""Exact ground truth: a real frame seen by a camera that only turns (H = K R K^-1), 40 frames, H.264."""

from __future__ import annotations

import json
import shutil

import numpy as np

from vitra_core.camera import estimate_camera_motion
from vitra_core.camera.rotation import rotation_angle_deg


def _errors_deg(estimated: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return rotation_angle_deg(np.einsum("tji,tjk->tik", truth, estimated))


def test_pure_rotation_is_recovered_within_one_degree_at_every_frame(rotating_clip):
    motion = estimate_camera_motion(rotating_clip.path)
    errors = _errors_deg(motion.R_world_cam, rotating_clip.R_world_cam)
    print(f"rotation error: max {errors.max():.3f} deg, mean {errors.mean():.3f} deg over {len(errors)} frames")
    assert motion.num_frames == len(rotating_clip.R_world_cam)
    assert rotation_angle_deg(rotating_clip.R_world_cam).max() > 10  # the path really turns
    assert errors.max() < 1.0, f"worst frame {errors.argmax()}: {errors.max():.2f} deg"
    assert motion.valid.all()
    assert set(motion.pair_model[1:]) == {"rotation"}  # no translation to find
    assert np.allclose(motion.t_world_cam, 0)


def test_field_of_view_is_estimated_within_ten_percent_without_a_sidecar(rotating_clip):
    motion = estimate_camera_motion(rotating_clip.path)  # no sidecar: the default (60 deg) is the fallback
    print(f"fov: estimated {motion.fov_deg:.2f} deg, true {rotating_clip.fov_deg} deg ({motion.focal_estimate.reason})")
    assert motion.fov_source == "estimated"
    assert motion.focal_estimate is not None and motion.focal_estimate.accepted
    assert abs(motion.fov_deg - rotating_clip.fov_deg) / rotating_clip.fov_deg < 0.10, motion.focal_estimate


def test_a_sidecar_field_of_view_wins_over_the_estimate(rotating_clip, tmp_path):
    clip = tmp_path / "stated.mp4"
    shutil.copy(rotating_clip.path, clip)
    (tmp_path / "stated.json").write_text(json.dumps({"fov_deg": rotating_clip.fov_deg}))
    motion = estimate_camera_motion(clip)
    assert motion.fov_source == "sidecar" and motion.focal_estimate is None
    assert abs(motion.fov_deg - rotating_clip.fov_deg) < 1e-6
    assert _errors_deg(motion.R_world_cam, rotating_clip.R_world_cam).max() < 1.0


def test_estimation_can_be_switched_off_and_then_the_default_is_used(rotating_clip):
    from vitra_core.camera import CameraMotionSettings

    motion = estimate_camera_motion(rotating_clip.path, settings=CameraMotionSettings(estimate_fov=False))
    assert motion.fov_source == "default" and abs(motion.fov_deg - 60.0) < 1e-6
