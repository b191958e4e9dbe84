"""The UI path end to end: under `dagster dev` (webserver and daemon), a real clip dropped into the inbox
becomes a `videos` partition through the sensor, its run materializes every per-video stage, and
the automation sensor then updates `episodes`; all of it observed over GraphQL, as the UI sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dagster.dagster_dev import (
    MATERIALIZATIONS, PARTITION_KEYS, RUN_TIMEOUT_S, RUNS_WITH_TAG, DagsterDev, failure_report, finished_run_status,
    launch_dagster_dev, loaded_location,
)
from vitra_assets.definitions import PER_VIDEO_ASSETS
from vitra_assets.runner import drop_into_inbox
from vitra_core.video.identity import sha256_file

CLIP = "lavila/ego4d_cf7c12db.gif"
FAST_TICKS = {"VITRA_INBOX__POLL_INTERVAL_S": "2", "VITRA_DAGSTER__AUTOMATION_INTERVAL_S": "5"}


def partition_keys(dagster: DagsterDev) -> list[str]:
    return dagster.query(PARTITION_KEYS, key={"path": ["raw_clips"]})["assetNodeOrError"]["partitionKeys"]


def runs_of_partition(dagster: DagsterDev, video_id: str) -> list[dict]:
    found = dagster.query(RUNS_WITH_TAG, filter={"tags": [{"key": "dagster/partition", "value": video_id}]})
    return found["runsOrError"]["results"]


def materializations(dagster: DagsterDev, asset: str, partitions: list[str] | None = None) -> list[dict]:
    found = dagster.query(MATERIALIZATIONS, key={"path": [asset]}, partitions=partitions)
    return found["assetOrError"]["assetMaterializations"] if found["assetOrError"]["__typename"] == "Asset" else []


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_clip_dropped_into_the_inbox_is_processed_and_added_to_the_dataset_by_the_daemon(
    tmp_project, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with launch_dagster_dev(tmp_project, tmp_path, monkeypatch, FAST_TICKS) as dagster:
        dagster.wait_for("the code location to load", lambda: loaded_location(dagster), 120)
        assert partition_keys(dagster) == []

        drop_into_inbox([shared_data / CLIP], tmp_project.config.inbox_dir)
        video_id = sha256_file(shared_data / CLIP)[:16]
        dagster.wait_for("the inbox sensor to add the partition", lambda: partition_keys(dagster) == [video_id], 90)

        [run] = dagster.wait_for(f"the sensor's run for {video_id}", lambda: runs_of_partition(dagster, video_id), 60)
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        assert (run["jobName"], tags["vitra/source"]) == ("per_video", Path(CLIP).name)  # a named job, a readable run
        status = dagster.wait_for(f"run {run['runId']}", lambda: finished_run_status(dagster, run["runId"]), RUN_TIMEOUT_S)
        assert status == "SUCCESS", failure_report(dagster, run["runId"])
        for stage in PER_VIDEO_ASSETS:
            [done] = materializations(dagster, stage.key.path[-1], [video_id])
            assert done["runId"] == run["runId"], stage.key

        [dataset] = dagster.wait_for("automation to update episodes", lambda: materializations(dagster, "episodes"),
                                     RUN_TIMEOUT_S)
        assert dataset["runId"] != run["runId"]  # a run of its own, requested by the automation sensor
        status = dagster.wait_for("the episodes run", lambda: finished_run_status(dagster, dataset["runId"]), RUN_TIMEOUT_S)
        assert status == "SUCCESS", failure_report(dagster, dataset["runId"])
        metadata = {entry["label"]: entry for entry in dataset["metadataEntries"]}
        assert metadata["videos_added"]["intValue"] == 1
        assert [r["runId"] for r in runs_of_partition(dagster, video_id)] == [run["runId"]]  # one run per new video
