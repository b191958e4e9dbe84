"""`vitra reprocess --stale`: a bumped code version re-runs that stage and what follows it, for every video,
and nothing else."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from dagster import AssetKey

import vitra_assets.definitions
import vitra_assets.launcher
from tests.dagster.daemon import materialization_count
from vitra_assets.backfill import RANGE_END_TAG, RANGE_START_TAG
from vitra_assets.cli import main
from vitra_assets.definitions import PER_VIDEO_ASSETS
from vitra_assets.episodes import episodes
from vitra_assets.reprocess import stale_partitions
from vitra_assets.segments import segments

CLIPS = ["lavila/ego4d_3c0dffd0_012_014.mp4", "lavila/ego4d_cf7c12db.gif"]
CHAIN = [asset.key for asset in PER_VIDEO_ASSETS]


def vitra(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_bumped_segments_version_reprocesses_segments_and_captions_of_both_videos_only(
    shared_data, disk_instance, monkeypatch
):
    vitra("ingest", *(str(shared_data / clip) for clip in CLIPS))
    videos = disk_instance.get_dynamic_partitions("videos")
    assert len(videos) == 2
    assert stale_partitions(disk_instance, vitra_assets.definitions.defs, CHAIN) == []
    assert "no stale partitions" in vitra("reprocess", "--stale", "--dry-run")
    runs_before = {run.run_id for run in disk_instance.get_runs()}

    from tests.dagster import bumped_segments_definitions as changed  # the new algorithm, in this process and

    bumped_defs, bumped = changed.defs, changed.BUMPED
    monkeypatch.setattr(vitra_assets.definitions, "defs", bumped_defs)
    monkeypatch.setattr(vitra_assets.launcher, "DEFINITIONS_MODULE", changed.__name__)  # in the runs' code server
    listing = vitra("reprocess", "--stale", "--dry-run")
    for video in videos:
        [row] = [line.split() for line in listing.splitlines() if line.startswith(video)]
        assert row[1] in {clip.rsplit("/", 1)[1] for clip in CLIPS}  # the source file name beside the id
        assert row[2] == "segments" and row[4] == bumped and row[5:] == ["segments", "captions"]
    assert {run.run_id for run in disk_instance.get_runs()} == runs_before  # a dry run launches nothing

    vitra("reprocess", "--stale")
    new_runs = [run for run in disk_instance.get_runs() if run.run_id not in runs_before]
    [batch] = [run for run in new_runs if RANGE_START_TAG in run.tags]  # both videos in one batched run
    assert (batch.tags[RANGE_START_TAG], batch.tags[RANGE_END_TAG]) == (videos[0], videos[-1])
    assert batch.asset_selection == {segments.key, AssetKey("captions")}
    assert [run.asset_selection for run in new_runs if run is not batch] == [{episodes.key}]
    for video in videos:
        counts = {key.to_user_string(): materialization_count(disk_instance, key, video) for key in CHAIN}
        assert counts == {"raw_clips": 1, "hand_poses": 1, "camera_motion": 1, "segments": 2, "captions": 2}, video
    assert all(run.status.value == "SUCCESS" for run in new_runs)
    assert materialization_count(disk_instance, episodes.key) == 2
    assert stale_partitions(disk_instance, bumped_defs, CHAIN) == []
    assert "no stale partitions" in vitra("reprocess", "--stale")
    assert len(disk_instance.get_runs()) == len(runs_before) + 2  # nothing stale left, nothing launched


def test_reprocess_without_a_selection_is_a_usage_error(disk_instance):
    result = CliRunner().invoke(main, ["reprocess"])
    assert result.exit_code == 2 and "--stale" in result.output
