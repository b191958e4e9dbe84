"""Incremental by construction: with two videos processed, a third dropped into the inbox is the only video
processed, `episodes` follows by automation, and the episodes already written stay byte-identical."""

from __future__ import annotations

import pytest

import vitra_assets.definitions
from tests.episodes.conftest import file_digests
from tests.dagster.daemon import Daemon, materialization_count
from vitra_assets.definitions import PER_VIDEO_ASSETS
from vitra_assets.episodes import episodes
from vitra_assets.runner import drop_into_inbox
from vitra_core.episodes.stage import dataset_dir
from vitra_core.layout import DataLayout

FIRST = ["lavila/ego4d_3c0dffd0_012_014.mp4", "lavila/ego4d_cf7c12db.gif"]
THIRD = "lavila/mixkit-pastry-chef-cutting-a-loaf-into-slices-43015-medium.gif"
CHAIN = [asset.key for asset in PER_VIDEO_ASSETS]


def latest_episodes_metadata(instance) -> dict:
    event = instance.get_latest_materialization_event(episodes.key)
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


@pytest.mark.slow
def test_a_third_clip_is_the_only_video_processed_and_its_episodes_are_appended(
    shared_data, tmp_project, disk_instance
):
    daemon = Daemon(disk_instance, vitra_assets.definitions.defs, {"vitra": tmp_project.resource()})
    inbox = tmp_project.config.inbox_dir
    assert daemon.automation_tick() == []  # first evaluation: nothing has happened yet

    drop_into_inbox([shared_data / clip for clip in FIRST], inbox)
    first = daemon.inbox_tick()
    assert len(first) == 2 and not daemon.run_partitions(first, CHAIN).failed
    assert daemon.automation_tick() == [episodes.key]
    assert daemon.automation_tick() == []  # handled: no second dataset update
    dataset = dataset_dir(DataLayout(tmp_project.config.data_root))
    before = file_digests(dataset)
    episodes_before = latest_episodes_metadata(disk_instance)["episodes"]
    data_files = [name for name in before if name.startswith("data/")]
    assert episodes_before >= 2 and 1 <= len(data_files) == len(before) - len(data_files)  # a parquet and a video per video

    drop_into_inbox([shared_data / THIRD], inbox)
    [third] = daemon.inbox_tick()
    assert third not in first
    runs_before = {run.run_id for run in disk_instance.get_runs()}
    assert not daemon.run_partitions([third], CHAIN).failed
    assert daemon.automation_tick() == [episodes.key]
    new_runs = sorted((run for run in disk_instance.get_runs() if run.run_id not in runs_before),
                      key=lambda run: disk_instance.get_run_record_by_id(run.run_id).create_timestamp)
    # the new video through every stage, then the dataset: nothing else ran
    assert [(run.tags.get("dagster/partition"), run.asset_selection) for run in new_runs] == [
        (third, set(CHAIN)), (None, {episodes.key})]

    meta = latest_episodes_metadata(disk_instance)
    assert (meta["videos_added"], meta["videos_unchanged"], meta["videos_replaced"]) == (1, 2, 0)
    assert meta["episodes"] > episodes_before
    after = file_digests(dataset)
    assert {name: after.get(name) for name in before} == before  # earlier episodes untouched
    assert len(after) > len(before)
    for key in CHAIN:  # the earlier videos were materialized once, by the first runs
        assert disk_instance.get_materialized_partitions(key) == {*first, third}
        for video in first:
            assert materialization_count(disk_instance, key, video) == 1
