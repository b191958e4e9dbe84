"""Real footage: a tripod clip stays at identity; the head-mounted clips give sane motion, and removing the
head's rotation steadies a hand resting on the desk."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from vitra_core.camera import estimate_camera_motion, pixels_in_anchor
from vitra_core.camera.rotation import rotation_angle_deg
from vitra_core.video.frames import iter_frames


def test_tripod_clip_gives_identity_rotation_at_every_frame(shared_data):
    motion = estimate_camera_motion(shared_data / "video_to_data" / "human-web.mp4")  # 203 frames, fixed camera
    print(f"human-web: max rotation {rotation_angle_deg(motion.R_world_cam).max():.3f} deg, "
          f"{(motion.pair_model == 'static').sum()} static frames")
    assert motion.num_frames == 203
    assert rotation_angle_deg(motion.R_world_cam).max() < 0.5
    assert motion.valid.all()


def test_one_real_frame_repeated_is_static_exactly(shared_data, tmp_path):
    frame = next(iter_frames(shared_data / "egoloc" / "egopat3d_rgb.mp4", max_frames=1)).rgb
    clip = tmp_path / "still.mp4"
    height, width = frame.shape[:2]
    subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
                    "-r", "30", "-i", "pipe:0", "-c:v", "libx264", "-crf", "28", "-pix_fmt", "yuv420p", str(clip)],
                   input=frame.tobytes() * 20, check=True)
    motion = estimate_camera_motion(clip)
    assert set(motion.pair_model[1:]) == {"static"}
    assert np.array_equal(motion.R_world_cam, np.repeat(np.eye(3)[None], 20, axis=0))


@pytest.mark.parametrize("name", ["egopat3d_video1.mp4", "egopat3d_video2.mp4"])
def test_head_mounted_clips_give_sane_rotation_and_inliers(shared_data, hand_poses_of, name):
    clip = shared_data / "egoloc" / name
    poses = hand_poses_of(clip)
    motion = estimate_camera_motion(clip, poses)
    turned = rotation_angle_deg(motion.R_world_cam).max()
    print(f"{name}: max rotation {turned:.1f} deg, median inlier ratio {np.median(motion.inlier_ratio[1:]):.2f}, "
          f"fov {motion.fov_deg:.0f} ({motion.fov_source}: {motion.focal_estimate.reason})")
    assert motion.valid.all()
    assert 3.0 < turned < 45.0  # the head visibly turns, but a 1 s reach is no spin
    assert np.median(motion.inlier_ratio[1:]) > 0.8
    assert 30.0 <= motion.fov_deg <= 130.0


def _extent_px(points: np.ndarray) -> float:
    return float(np.sqrt(((points - points.mean(axis=0)) ** 2).sum(axis=1).mean()))


def test_removing_head_rotation_steadies_a_resting_hand(desk_resting_clip, hand_poses_of):
    poses = hand_poses_of(desk_resting_clip)
    motion = estimate_camera_motion(desk_resting_clip, poses)
    assert rotation_angle_deg(motion.R_world_cam).max() > 3.0
    mean_x = np.nanmean(np.where(poses.detected[..., None], poses.joints_2d[:, :, 0], np.nan)[..., 0], axis=0)
    resting = int(np.nanargmax(mean_x))  # the hand on the image's right rests on the desk here
    assert poses.detected[:, resting].mean() > 0.9
    wrist = np.where(poses.detected[:, resting, None], poses.joints_2d[:, resting, 0], np.nan)
    seen = np.isfinite(wrist).all(axis=1)
    before = _extent_px(wrist[seen])
    after = _extent_px(pixels_in_anchor(wrist, motion)[seen])
    print(f"resting wrist spread in the anchor image: {before:.1f} px before, {after:.1f} px after compensation")
    assert after < before


@pytest.mark.slow
def test_desk_clip_full_length(shared_data, hand_poses_of):
    clip = shared_data / "egoloc" / "egopat3d_rgb.mp4"
    motion = estimate_camera_motion(clip, hand_poses_of(clip))
    turned = rotation_angle_deg(motion.R_world_cam).max()
    print(f"egopat3d_rgb: max rotation {turned:.1f} deg, median inlier ratio {np.median(motion.inlier_ratio[1:]):.2f}, "
          f"valid {motion.valid.mean():.2f}")
    assert motion.valid.mean() > 0.95
    assert 3.0 < turned < 45.0
    assert np.median(motion.inlier_ratio[1:]) > 0.8
