"""Anchor-frame windows: with a moving camera, states and action chunks are where the hands are as seen from
the window's first frame. Real hand poses (the cooking clip) under a known camera path (a head turning
2 degrees per frame about a tilted axis), so the expected values follow from the geometry alone."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from vitra_core.episodes import EpisodeWindowDataset, VideoEpisodesInput, add_video, pack_state
from vitra_core.episodes.anchor import identity_poses, move_states, pack_poses, relative_poses
from vitra_core.episodes.export_vitra import export_vitra_npy
from vitra_core.hands.kinematics import forward_kinematics
from vitra_core.hands.skeleton import RIGHT


def _turning_head(frames: int) -> tuple[np.ndarray, np.ndarray]:
    axis = np.array([0.2, 1.0, 0.1]) / np.linalg.norm([0.2, 1.0, 0.1])
    rotation = Rotation.from_rotvec(np.radians(2.0) * np.arange(frames)[:, None] * axis).as_matrix()
    translation = np.column_stack([np.linspace(0, 0.05, frames), np.zeros(frames), np.zeros(frames)])
    return rotation, translation


def test_moving_states_moves_the_hand_rigidly(episode_sources):
    poses = episode_sources["cooking"].poses
    present = np.flatnonzero(poses.mask[:, RIGHT])[:20]
    rotation = Rotation.from_euler("xyz", [10, -25, 40], degrees=True).as_matrix()
    shift = np.array([0.03, -0.02, 0.1])
    packed = pack_state(poses.state[present], poses.mask[present])
    moved = move_states(packed, np.repeat(rotation[None], len(present), 0), np.tile(shift, (len(present), 1)))
    before = forward_kinematics(packed[:, 51:102].astype(np.float64), poses.rest_pose_m[RIGHT])
    after = forward_kinematics(moved[:, 51:102].astype(np.float64), poses.rest_pose_m[RIGHT])
    np.testing.assert_allclose(after, before @ rotation.T + shift, atol=2e-6)  # float32 storage
    np.testing.assert_array_equal(moved[:, 102:], packed[:, 102:])


def test_windows_of_a_moving_camera_are_in_the_anchor_frame(episode_sources, tmp_path):
    source = episode_sources["cooking"]
    frames = source.poses.num_frames
    rotation, translation = _turning_head(frames)
    moving = VideoEpisodesInput(source.video_id, source.clip_path, source.poses, source.spans,
                                camera_poses=pack_poses(rotation, translation))
    add_video(tmp_path / "ds", moving)
    windows = EpisodeWindowDataset(tmp_path / "ds", chunk_size=8)
    packed = pack_state(source.poses.state, source.poses.mask)
    world_wrist = np.einsum("tij,tj->ti", rotation, packed[:, 51:54]) + translation  # right wrist, world frame
    t = 5  # episode 0 = clip frames 0..30: its window at t has actions for clip frames t+1 .. t+8
    sample = windows.window(0, t)
    np.testing.assert_array_equal(sample["state"], packed[t])  # the anchor frame's own camera
    expected = (world_wrist[t + 1:t + 9] - translation[t]) @ rotation[t]  # world -> anchor camera
    present = packed[t + 1:t + 9, 103] > 0.5
    np.testing.assert_allclose(sample["actions"][present, 51:54], expected[present], atol=1e-5)
    static = EpisodeWindowDataset(_static_copy(source, tmp_path), chunk_size=8).window(0, t)["actions"]
    assert np.abs(static[present, 51:54] - sample["actions"][present, 51:54]).max() > 0.01  # compensation did something


def _static_copy(source, tmp_path):
    add_video(tmp_path / "static", VideoEpisodesInput(source.video_id, source.clip_path, source.poses, source.spans))
    return tmp_path / "static"


def test_export_fills_extrinsics_and_world_space_from_the_camera(episode_sources, tmp_path):
    source = episode_sources["cooking"]
    rotation, translation = _turning_head(source.poses.num_frames)
    add_video(tmp_path / "ds", VideoEpisodesInput(source.video_id, source.clip_path, source.poses, source.spans,
                                                  camera_poses=pack_poses(rotation, translation)))
    info = np.load(export_vitra_npy(tmp_path / "ds", tmp_path / "npy")[0], allow_pickle=True).item()
    world_from_cam = np.linalg.inv(info["extrinsics"])
    np.testing.assert_allclose(world_from_cam[:, :3, :3], rotation[:30], atol=1e-6)
    np.testing.assert_allclose(world_from_cam[:, :3, 3], translation[:30], atol=1e-6)
    assert abs(info["total_rotvec_degree"] - 2.0 * 29) < 1e-3
    right = info["right"]
    kept = np.array(right["kept_frames"], bool)
    cam_to_world = np.einsum("tij,tnj->tni", rotation[:30], right["joints_camspace"]) + translation[:30, None]
    np.testing.assert_allclose(right["joints_worldspace"][kept], cam_to_world[kept], atol=1e-5)


def test_relative_poses_of_identical_cameras_are_the_identity():
    poses = identity_poses(4)
    rotation, translation = relative_poses(poses, poses[0])
    np.testing.assert_array_equal(rotation, np.tile(np.eye(3), (4, 1, 1)))
    np.testing.assert_array_equal(translation, 0.0)
