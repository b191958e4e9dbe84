import base64
import hashlib

import pytest
from dagster import DagsterInstance, materialize

from tests.inbox_inputs import store_video
from vitra_assets.definitions import defs
from vitra_assets.raw_clips import raw_clips
from vitra_assets.runner import IngestReport, materialize_partitions

from ..video.test_probe_and_frames import ffprobe_frames


def metadata_values(result) -> dict:
    materialization = result.asset_materializations_for_node("raw_clips")[0]
    return {key: value.value for key, value in materialization.metadata.items()}


@pytest.mark.parametrize(
    "relpath, source_frames, source_fps, duration_s, has_audio",
    [("lavila/ego4d_cf7c12db.gif", 50, 25.0, 2.0, False), ("mediapipe_samples/hl_test_video.mp4", 202, 25.0, 8.08, True)],
    ids=["gif", "mp4-with-audio"],
)
def test_raw_clips_normalises_a_real_clip_and_versions_its_source(
    shared_data, tmp_project, relpath, source_frames, source_fps, duration_s, has_audio
):
    video_id = store_video(tmp_project, shared_data / relpath)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", [video_id])
        result = materialize([raw_clips], instance=instance, partition_key=video_id, resources={"vitra": tmp_project.resource()})
    assert result.success
    meta = metadata_values(result)
    clip = tmp_project.config.data_root / "raw_clips" / video_id / "clip.mp4"
    assert meta["clip_frames"] == ffprobe_frames(clip) == round(duration_s * 30)
    assert meta["clip_fps"] == 30.0
    assert meta["clip_duration_s"] == pytest.approx(ffprobe_frames(clip) / 30, abs=1e-3)
    assert (meta["source_frames"], meta["source_fps"], meta["source_has_audio"]) == (source_frames, source_fps, has_audio)
    assert meta["source_duration_s"] == pytest.approx(duration_s, abs=0.01)
    assert meta["intrinsics_source"] == "default_fov" and meta["fov_x_deg"] == pytest.approx(60.0)
    # DVC: the source is tracked by its md5 and pushed to the remote
    raw = tmp_project.config.data_root / "raw" / f"{video_id}{(shared_data / relpath).suffix}"
    md5 = hashlib.md5(raw.read_bytes()).hexdigest()
    assert meta["dvc_md5"] == md5
    assert (tmp_project.root / f"{meta['dvc_file']}").exists()
    assert (tmp_project.root.parent / "dvc-remote" / "files" / "md5" / md5[:2] / md5[2:]).exists()
    # a thumbnail a person can see: an inline JPEG in markdown
    encoded = meta["thumbnail"].split("base64,", 1)[1].rstrip(")")
    assert base64.b64decode(encoded)[:2] == b"\xff\xd8"
    [check] = result.get_asset_check_evaluations()
    assert check.passed, check.metadata
    assert check.blocking is True


def test_a_broken_video_fails_its_own_partition_and_the_others_go_on(shared_data, tmp_project, monkeypatch):
    good = store_video(tmp_project, shared_data / "lavila/ego4d_3c0dffd0_012_014.mp4")
    broken = store_video(tmp_project, shared_data / "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif")
    raw = tmp_project.config.data_root / "raw" / f"{broken}.gif"
    raw.write_bytes(raw.read_bytes()[:4000])  # damaged after ingestion (e.g. disk error)
    report = IngestReport()
    for name, value in tmp_project.env.items():
        monkeypatch.setenv(name, value)  # the job's own resource reads the project from the environment
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", [broken, good])
        materialize_partitions(instance, defs, {key: [raw_clips.key] for key in (broken, good)}, report)
        assert instance.get_materialized_partitions(raw_clips.key) == {good}
        [failed_run] = [r for r in instance.get_runs() if not r.is_success]
        assert (failed_run.job_name, failed_run.tags["dagster/partition"]) == ("per_video", broken)
    assert (report.failed, report.succeeded) == ([broken], [good])
    assert not (tmp_project.config.data_root / "raw_clips" / broken / "meta.json").exists()
