"""VITRA-style export: one .npy dict per episode with VITRA's fields, filled from the dataset."""

from __future__ import annotations

import numpy as np

from vitra_core.episodes import DatasetMeta, export_vitra_npy
from vitra_core.hands.skeleton import LEFT, RIGHT

VITRA_FIELDS = {"video_clip_id_segment", "extrinsics", "intrinsics", "video_decode_frame", "video_name", "avg_speed",
                "total_rotvec_degree", "total_transl_dist", "anno_type", "text", "text_rephrase", "left", "right"}
HAND_FIELDS = {"beta", "global_orient_camspace", "global_orient_worldspace", "hand_pose", "transl_camspace",
               "transl_worldspace", "kept_frames", "joints_camspace", "joints_worldspace", "wrist",
               "max_translation_movement", "max_wrist_rotation_movement", "max_finger_joint_angle_movement"}


def test_export_writes_one_vitra_npy_per_episode(incremental_build, episode_sources, tmp_path):
    root = incremental_build["root"]
    paths = export_vitra_npy(root, tmp_path)
    meta = DatasetMeta.load(root)
    assert len(paths) == len(meta.episodes) == len(list(tmp_path.glob("*.npy")))
    assert paths[1].name == "vitraops_cooking_ep_000001.npy"
    info = np.load(paths[1], allow_pickle=True).item()  # VITRA's own format is a pickled dict
    assert set(info) == VITRA_FIELDS and set(info["left"]) == HAND_FIELDS == set(info["right"])
    poses = episode_sources["cooking"].poses
    frames = slice(30, 60)
    assert info["video_decode_frame"] == list(range(30, 60)) and info["video_name"] == "cooking"
    assert info["anno_type"] == "right"
    assert info["text"] == {"left": [], "right": [("Left hand: None. Right hand: Do step 1.", (0, 29))]}
    assert info["text_rephrase"]["right"] == [(["Perform step 1."], (0, 29))]
    np.testing.assert_allclose(info["intrinsics"], poses.intrinsics.matrix())
    assert info["extrinsics"].shape == (30, 4, 4)
    for side, hand in (("left", LEFT), ("right", RIGHT)):
        present = poses.mask[frames, hand]
        assert info[side]["kept_frames"] == present.astype(int).tolist()
        np.testing.assert_allclose(info[side]["transl_camspace"][present], poses.state[frames, hand][present, :3],
                                   atol=1e-6)
        np.testing.assert_allclose(info[side]["joints_camspace"][present], poses.joints_cam[frames, hand][present],
                                   atol=1e-4)
        assert info[side]["hand_pose"].shape == (30, 15, 3, 3)
    assert info["avg_speed"] > 0
