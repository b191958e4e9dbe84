import json
import shutil

import numpy as np

import yaml
from dagster import DagsterInstance, materialize

from tests.inbox_inputs import store_video
from vitra_assets.definitions import PER_VIDEO_ASSETS
from vitra_core.episodes import DatasetMeta, read_stats
from vitra_core.episodes.stage import captioned_videos, sync_episodes
from vitra_assets.episodes import STATS_CHECK, episodes
from vitra_core.captions.stage import CAPTIONS_FILE, CAPTIONS_STAGE, read_captions
from vitra_core.layout import DataLayout

CLIPS = ["lavila/ego4d_3c0dffd0_012_014.mp4", "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif"]


def test_every_stage_end_to_end_on_two_real_clips_then_an_unchanged_rebuild(shared_data, tmp_project, tmp_path):
    resources = {"vitra": tmp_project.resource()}
    video_ids = [store_video(tmp_project, shared_data / clip) for clip in CLIPS]
    layout = DataLayout(tmp_project.config.data_root)
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("videos", video_ids)
        for video_id in video_ids:
            assert materialize(PER_VIDEO_ASSETS, instance=instance, partition_key=video_id, resources=resources).success
        first = materialize([episodes], instance=instance, resources=resources)
        second = materialize([episodes], instance=instance, resources=resources)
        captions_file = layout.stage_dir(CAPTIONS_STAGE, video_ids[0]) / CAPTIONS_FILE
        captions_file.write_bytes(captions_file.read_bytes())  # rewritten, same content: hashed, not rebuilt
        third = materialize([episodes], instance=instance, resources=resources)
    assert first.success and second.success and third.success
    meta = {k: v.value for k, v in first.asset_materializations_for_node("episodes")[0].metadata.items()}
    again = {k: v.value for k, v in second.asset_materializations_for_node("episodes")[0].metadata.items()}
    expected = sum(len(read_captions(layout, v).captions) for v in video_ids)
    assert meta["episodes"] + meta["episodes_below_quality_floor"] == expected and meta["episodes"] >= 4
    assert meta["videos_added"] == 2
    stored = DatasetMeta.load(layout.root / "episodes")
    excluded = [e for record in stored.videos.values() for e in record["excluded"]]
    assert len(excluded) == meta["episodes_below_quality_floor"]
    assert all(e["quality"]["score"] < 0.5 and "floor" in e["reason"] for e in excluded)
    assert all(row["quality"]["score"] >= 0.5 for row in stored.episodes.values())
    info = json.loads((layout.root / "episodes" / "meta" / "info.json").read_text())
    assert (info["codebase_version"], info["total_episodes"], info["total_frames"]) == ("v3.0", meta["episodes"], meta["frames"])
    lock = yaml.safe_load((tmp_project.root / "dvc.lock").read_text())
    assert lock["stages"]["episodes"]["outs"][0]["md5"] == meta["dvc_md5"]
    assert [c.passed for c in first.get_asset_check_evaluations() if c.check_name == STATS_CHECK] == [True]
    # nothing changed upstream: no video rewritten, same DVC hash
    assert (again["videos_unchanged"], again["videos_added"], again["dvc_md5"]) == (2, 0, meta["dvc_md5"])
    parallel = DataLayout(tmp_path / "data")  # the same per-video outputs, the dataset written by 2 processes
    shutil.copytree(layout.root, parallel.root, ignore=shutil.ignore_patterns("episodes"))
    cfg = tmp_project.config
    report = sync_episodes(parallel, cfg.episodes, cfg.episode_quality, workers=2)
    assert (report.added, report.episodes) == (captioned_videos(parallel), meta["episodes"]) and len(report.added) == 2
    assert DatasetMeta.load(parallel.root / "episodes").episodes == stored.episodes
    ours, theirs = read_stats(parallel.root / "episodes"), read_stats(layout.root / "episodes")
    assert all(np.allclose(ours[f][k], theirs[f][k], atol=1e-6, rtol=0) for f in theirs for k in theirs[f])
    touched = {k: v.value for k, v in third.asset_materializations_for_node("episodes")[0].metadata.items()}
    assert (touched["videos_unchanged"], touched["videos_replaced"], touched["dvc_md5"]) == (2, 0, meta["dvc_md5"])
