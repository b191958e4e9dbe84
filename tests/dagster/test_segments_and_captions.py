from dagster import DagsterInstance, materialize

from tests.inbox_inputs import store_video
from vitra_assets.camera_motion import VALID_CHECK, camera_motion
from vitra_assets.captions import CAPTIONS_CHECK, captions
from vitra_assets.hand_poses import hand_poses
from vitra_assets.raw_clips import raw_clips
from vitra_assets.segments import SEGMENTS_CHECK, segments
from vitra_core.captions import parse
from vitra_core.captions.stage import read_captions
from vitra_core.layout import DataLayout
from vitra_core.segments.stage import read_segments


def test_every_per_video_stage_on_a_real_two_handed_clip(shared_data, tmp_project):
    video_id = store_video(tmp_project, shared_data / "lavila/ego4d_3c0dffd0_012_014.mp4")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", [video_id])
        result = materialize([raw_clips, hand_poses, camera_motion, segments, captions], instance=instance,
                             partition_key=video_id,
                             resources={"vitra": tmp_project.resource()})
    assert result.success
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks[SEGMENTS_CHECK] and checks[CAPTIONS_CHECK] and checks[VALID_CHECK]
    camera = {k: v.value for k, v in result.asset_materializations_for_node("camera_motion")[0].metadata.items()}
    assert camera["frames"] == 60 and camera["fov_source"] in ("default", "estimated")
    assert camera["valid_share"] >= 0.8 and 1.0 < camera["max_rotation_deg"] < 45  # a head-mounted camera turns
    assert "data:image/jpeg;base64," in camera["preview"]
    layout = DataLayout(tmp_project.config.data_root)
    found = read_segments(layout, video_id).segments
    written = read_captions(layout, video_id).captions
    meta = {k: v.value for k, v in result.asset_materializations_for_node("segments")[0].metadata.items()}
    assert meta["segments"] == len(found) == len(written) >= 2
    assert meta["left_segments"] >= 1 and meta["right_segments"] >= 1  # pan-holding and stirring hands
    assert 0.5 < meta["coverage"] <= 1.0
    for segment, caption in zip(found, written):
        assert (caption.hand, caption.start_frame, caption.end_frame) == (segment.hand, segment.start_frame, segment.end_frame)
        left, right = parse(caption.instruction)
        assert (left if segment.hand == "left" else right) != "None."
        assert caption.captioner == "template" and caption.fallback_reason is None
        assert len(set(caption.rephrasings)) >= 3
