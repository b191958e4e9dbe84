"""Batched backfills: many video partitions per run, each with its own outputs; a bad video fails alone."""

import hashlib
import shutil
import subprocess
import sys

import pytest
from dagster import AssetKey, AssetRecordsFilter, DagsterEventType, DagsterInstance

from tests.inbox_inputs import store_video
from vitra_assets.backfill import RANGE_END_TAG, RANGE_START_TAG, plan_batches, run_batches
from vitra_assets.definitions import PER_VIDEO_ASSETS, defs
from vitra_assets.partitions import videos_partitions
from vitra_assets.raw_clips import raw_clips
from vitra_assets.reprocess import materialized_code_versions
from vitra_assets.runner import IngestReport
from vitra_core.captions.stage import read_captions
from vitra_core.episodes.meta import DatasetMeta
from vitra_core.episodes.stage import dataset_dir
from vitra_core.hands.stage import read_hand_pose_figures
from vitra_core.layout import DataLayout
from vitra_core.video.raw_clip import read_clip_meta, read_source_record

from ..test_cli import vitra

CLIPS = ["lavila/ego4d_3c0dffd0_012_014.mp4", "lavila/ego4d_cf7c12db.gif", "egoloc/egopat3d_video1.mp4"]
A, B = AssetKey("a"), AssetKey("b")


def test_batches_are_runs_of_consecutive_partitions_needing_the_same_stages():
    order = ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]
    work = {"v1": [A, B], "v2": [A, B], "v3": [A, B], "v4": [B], "v6": [A, B], "v7": [A, B]}
    batches = plan_batches(order, work, batch_size=2)
    # v5 needs nothing, so no range may span it; v4 needs other stages; at most 2 per run
    assert [(b.assets, b.videos) for b in batches] == [
        ((A, B), ["v1", "v2"]), ((A, B), ["v3"]), ((B,), ["v4"]), ((A, B), ["v6", "v7"])]


def _metadata(instance, key: str, partition: str):
    [record] = instance.fetch_materializations(AssetRecordsFilter(asset_key=AssetKey(key), asset_partitions=[partition]),
                                               limit=5).records
    return record.run_id, {k: v.value for k, v in record.asset_materialization.metadata.items()}


@pytest.mark.slow
def test_a_batched_backfill_of_three_clips_is_one_run_with_each_videos_own_outputs(shared_data, tmp_project, tmp_path,
                                                                                   disk_instance):
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in CLIPS:
        shutil.copy(shared_data / name, folder)
    done = vitra(tmp_project, "backfill", str(folder), "--batch-size", "3")
    assert done.returncode == 0, done.stderr
    assert "ingested: 3 new" in done.stdout and "(3 videos): success" in done.stdout
    assert "episodes: success" in done.stdout

    layout = DataLayout(tmp_project.config.data_root)
    videos = disk_instance.get_dynamic_partitions("videos")
    assert len(videos) == 3
    per_video_runs = [r for r in disk_instance.get_runs() if r.job_name == "per_video"]
    [run] = per_video_runs  # every stage of every video in one run over the key range
    assert (run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]) == (videos[0], videos[-1]) and run.is_success
    graph = defs.resolve_asset_graph()
    for video in videos:
        source = read_source_record(layout, video)
        clip = read_clip_meta(layout, video)
        run_id, meta = _metadata(disk_instance, "raw_clips", video)
        assert run_id == run.run_id
        assert meta["source_name"] == source.source_name and meta["clip_frames"] == clip.clip.frames
        raw = layout.raw_dir / clip.raw_file
        assert meta["dvc_md5"] == hashlib.md5(raw.read_bytes()).hexdigest()
        assert meta["content_version"] == hashlib.sha256(
            (layout.stage_dir("raw_clips", video) / "clip.mp4").read_bytes()).hexdigest()[:16]
        _, hands = _metadata(disk_instance, "hand_poses", video)
        figures = read_hand_pose_figures(layout, video)
        assert (hands["source_name"], hands["frames"], hands["any_hand_rate"]) == (
            source.source_name, figures.frames, round(figures.any_hand_rate, 4))
        _, captions = _metadata(disk_instance, "captions", video)
        assert captions["captions"] == len(read_captions(layout, video).captions)
    # what `vitra lineage` reports per source video: its record and the current code version of every stage
    assert set(DatasetMeta.load(dataset_dir(layout)).videos) == set(videos)
    for asset in PER_VIDEO_ASSETS:
        built = materialized_code_versions(disk_instance, asset.key)
        assert built == {video: graph.get(asset.key).code_version for video in videos}
    checks = [e.dagster_event.event_specific_data
              for e in disk_instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)]
    assert len(checks) == 6  # one result per check of the five assets, each over the three videos
    assert all(check.passed or check.severity.value == "WARN" for check in checks)
    # every source (and the dataset) is in the DVC remote
    remote = tmp_project.overrides["dvc.remote_url"]
    subprocess.run([sys.executable, "-m", "dvc", "remote", "add", "-d", "local", remote], cwd=tmp_project.root, check=True)
    status = subprocess.run([sys.executable, "-m", "dvc", "status", "-c"], cwd=tmp_project.root, capture_output=True,
                            text=True, check=True)
    assert "Cache and remote 'local' are in sync" in status.stdout, status.stdout


def test_a_bad_video_in_a_batch_fails_alone_and_the_others_are_materialized(shared_data, tmp_project, monkeypatch):
    first = store_video(tmp_project, shared_data / "lavila/ego4d_3c0dffd0_012_014.mp4")
    broken = store_video(tmp_project, shared_data / "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif")
    last = store_video(tmp_project, shared_data / "lavila/ego4d_cf7c12db.gif")
    raw = tmp_project.config.data_root / "raw" / f"{broken}.gif"
    raw.write_bytes(raw.read_bytes()[:4000])  # damaged after ingestion (e.g. disk error)
    for name, value in tmp_project.env.items():
        monkeypatch.setenv(name, value)  # the job's own resource reads the project from the environment
    report = IngestReport()
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", [first, broken, last])
        run_batches(instance, defs, {v: [raw_clips.key] for v in (first, broken, last)}, 3, report,
                    DataLayout(tmp_project.config.data_root))
        assert instance.get_materialized_partitions(raw_clips.key) == {first, last}
        runs = instance.get_runs()
        [batch] = [r for r in runs if RANGE_START_TAG in r.tags]
        assert not batch.is_success
        [failure] = instance.all_logs(batch.run_id, of_type=DagsterEventType.STEP_FAILURE)
        assert list(failure.dagster_event.step_failure_data.user_failure_data.metadata["failed_videos"].value) == [broken]
        [failed_alone] = [r for r in runs if RANGE_START_TAG not in r.tags and not r.is_success]
        assert failed_alone.tags["dagster/partition"] == broken
        assert instance.get_status_by_partition(raw_clips.key, [broken], videos_partitions)[broken].value == "FAILED"
    assert (report.failed, sorted(report.succeeded)) == ([broken], sorted([first, last]))
