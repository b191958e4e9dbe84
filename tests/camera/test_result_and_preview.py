"""The CameraMotion file round-trips exactly, refuses what it cannot read, and previews draw."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from vitra_core.camera import (
    CameraMotion,
    CameraMotionFileError,
    estimate_camera_motion,
    render_camera_preview,
)


@pytest.fixture(scope="module")
def motion(rotating_clip) -> CameraMotion:
    return estimate_camera_motion(rotating_clip.path)


def test_save_and_load_round_trip_exactly(motion, tmp_path):
    path = tmp_path / "motion.npz"
    motion.save(path)
    loaded = CameraMotion.load(path)
    for name in ("R_world_cam", "t_world_cam", "valid", "inlier_ratio", "pair_model", "num_points", "timestamps_s"):
        assert np.array_equal(getattr(loaded, name), getattr(motion, name)), name
    assert (loaded.fov_deg, loaded.fov_source, loaded.translation_scale) == (motion.fov_deg, motion.fov_source, "unit")
    assert loaded.focal_estimate == motion.focal_estimate and loaded.settings == motion.settings
    assert not list(tmp_path.glob(".*.part"))


def test_a_file_that_is_not_npz_is_refused_with_its_name(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(CameraMotionFileError, match="broken.npz: not a readable .npz"):
        CameraMotion.load(path)


def test_an_npz_without_meta_or_of_another_schema_is_refused(motion, tmp_path):
    bare = tmp_path / "bare.npz"
    np.savez(bare, R_world_cam=motion.R_world_cam)
    with pytest.raises(CameraMotionFileError, match="no 'meta' entry"):
        CameraMotion.load(bare)
    newer = tmp_path / "newer.npz"
    motion.save(newer)
    with np.load(newer) as stored:
        arrays = dict(stored)
    meta = json.loads(str(arrays.pop("meta")))
    meta["schema_version"] = 99
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    newer.write_bytes(buffer.getvalue())
    with pytest.raises(CameraMotionFileError, match="schema version 99, expected 1"):
        CameraMotion.load(newer)


def test_preview_draws_three_panels_with_or_without_hands(motion, shared_data, hand_poses_of):
    alone = render_camera_preview(motion)
    assert alone.shape == (270, 1080, 3) and alone.dtype == np.uint8
    assert (alone[:, :360] != 255).any(axis=2).mean() > 0.01  # the angle curves are drawn
    clip = shared_data / "egoloc" / "egopat3d_video1.mp4"
    poses = hand_poses_of(clip)
    with_hands = render_camera_preview(estimate_camera_motion(clip, poses), poses)
    right_blue = np.all(with_hands[:, 720:] == (30, 144, 255), axis=2)
    assert right_blue.sum() > 50  # the right wrist's path is drawn in the third panel
