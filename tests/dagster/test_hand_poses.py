import numpy as np
import pytest
from dagster import AssetCheckSeverity, DagsterInstance, materialize

from tests.inbox_inputs import store_video
from vitra_assets.hand_poses import DETECTION_RATE_CHECK, NO_NAN_CHECK, hand_poses
from vitra_assets.raw_clips import raw_clips
from vitra_core.hands import HandPoses
from vitra_core.video import iter_frames

from ..video.test_probe_and_frames import ffprobe_frames


def run_per_video_stages(project, video_id):
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", [video_id])
        result = materialize([raw_clips, hand_poses], instance=instance, partition_key=video_id,
                             resources={"vitra": project.resource()})
    assert result.success
    [materialization] = result.asset_materializations_for_node("hand_poses")
    checks = {c.check_name: c for c in result.get_asset_check_evaluations() if c.asset_key == hand_poses.key}
    return {k: v.value for k, v in materialization.metadata.items()}, checks


def test_hand_poses_of_a_two_handed_egocentric_clip(shared_data, tmp_project):
    video_id = store_video(tmp_project, shared_data / "lavila/ego4d_3c0dffd0_012_014.mp4")
    meta, checks = run_per_video_stages(tmp_project, video_id)
    poses = HandPoses.load(tmp_project.config.data_root / "hand_poses" / video_id / "poses.npz")
    assert meta["frames"] == poses.num_frames == 60 and meta["fps"] == 30.0
    # left hand holds the pan handle in nearly every frame, the right hand stirs
    assert meta["left_detection_rate"] == pytest.approx(poses.detected[:, 0].mean(), abs=1e-4)
    assert meta["left_detection_rate"] > 0.8
    assert meta["right_detection_rate"] > 0.4
    assert np.isfinite(poses.state[poses.mask]).all() and poses.state.shape == (60, 2, 51)
    assert meta["intrinsics_source"] == "default_fov" and meta["mirrored"] is False
    assert meta["preview"].startswith("![hands on frames](data:image/jpeg;base64,")
    assert checks[NO_NAN_CHECK].passed and checks[DETECTION_RATE_CHECK].passed


def test_a_clip_without_hands_materializes_empty_with_a_warning(no_hands_clip, tmp_project):
    tmp_project.overrides["hands.min_detection_rate"] = "0.05"
    video_id = store_video(tmp_project, no_hands_clip)
    meta, checks = run_per_video_stages(tmp_project, video_id)
    assert (meta["frames"], meta["any_hand_rate"], meta["left_detection_rate"], meta["right_jitter_mm"]) == (60, 0, 0, "-")
    assert checks[NO_NAN_CHECK].passed
    check = checks[DETECTION_RATE_CHECK]
    assert check.passed is False and check.severity == AssetCheckSeverity.WARN  # the run itself succeeded
    assert check.metadata["floor"].value == 0.05


@pytest.mark.slow
def test_the_sidecar_mirrored_flag_keeps_mediapipes_selfie_labels(shared_data, tmp_project):
    # MediaPipe calls the hand in this clip "Left" (selfie convention): a right hand in ordinary video
    video_id = store_video(tmp_project, shared_data / "mediapipe_samples/hl_test_video.mp4", sidecar={"mirrored": True})
    meta, _ = run_per_video_stages(tmp_project, video_id)
    assert meta["mirrored"] is True
    assert meta["left_detection_rate"] > 0.9 and meta["right_detection_rate"] == 0.0


def test_an_overlay_clip_is_written_on_request(shared_data, tmp_project):
    tmp_project.overrides["hands.overlay_clip"] = "true"
    video_id = store_video(tmp_project, shared_data / "lavila/ego4d_3c0dffd0_012_014.mp4")
    run_per_video_stages(tmp_project, video_id)
    overlay = tmp_project.config.data_root / "hand_poses" / video_id / "overlay.mp4"
    assert ffprobe_frames(overlay) == 60
    drawn = next(iter_frames(overlay, max_frames=1)).rgb
    plain = next(iter_frames(tmp_project.config.data_root / "raw_clips" / video_id / "clip.mp4", max_frames=1)).rgb
    assert drawn.shape == plain.shape and np.abs(drawn.astype(int) - plain).max() > 100  # landmarks drawn
