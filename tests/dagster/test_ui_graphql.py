"""The UI path: `dagster dev` (webserver and daemon) serves the asset graph and runs `raw_clips` over GraphQL.

Everything the Dagster UI does goes through this GraphQL endpoint, so driving it here checks what a
user clicking "Materialize" would get: the code location loads, the partition is added, the queued
run is picked up by the daemon and materializes the clip with its metadata.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.dagster.dagster_dev import (
    ADD_PARTITION, ASSET_NODES, LAUNCH_RUN, MATERIALIZATIONS, PARTITION_KEYS, RUN_TIMEOUT_S, RUNS_WITH_TAG, DagsterDev,
    failure_report, finished_run_status, finished_sensor_ticks, launch_dagster_dev, loaded_location, run_events,
)
from vitra_assets.partitions import VIDEOS
from vitra_assets.raw_clips import CLIP_SANE_CHECK
from vitra_core.layout import DataLayout
from vitra_core.video.ingest import ingest_file


@pytest.fixture
def dagster_dev(tmp_project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The inbox sensor's interval is set to an hour, so after its first tick (at daemon start) it
    stays quiet and the test alone decides which runs are launched."""
    with launch_dagster_dev(tmp_project, tmp_path, monkeypatch, {"VITRA_INBOX__POLL_INTERVAL_S": "3600"}) as server:
        yield server


def ingest_sample(shared_data: Path, tmp_path: Path, data_root: Path) -> str:
    """Store one real clip under data/raw (not via the inbox) and return its video id."""
    copy = tmp_path / "incoming" / "ego4d_cf7c12db.gif"
    copy.parent.mkdir()
    shutil.copy2(shared_data / "lavila" / "ego4d_cf7c12db.gif", copy)
    outcome = ingest_file(copy, DataLayout(data_root))
    assert outcome.status == "new", outcome
    return outcome.video_id


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_dagster_dev_materializes_a_raw_clips_partition_launched_over_graphql(
    dagster_dev: DagsterDev, tmp_project, shared_data: Path, tmp_path: Path
):
    cfg = tmp_project.config
    location = dagster_dev.wait_for("the code location to load", lambda: loaded_location(dagster_dev), 120)
    assert location["name"] == "vitra_assets.definitions"

    nodes = {tuple(n["assetKey"]["path"]): n for n in dagster_dev.query(ASSET_NODES)["assetNodes"]}
    raw_clips = nodes[("raw_clips",)]
    assert raw_clips["groupName"] == "per_video"
    partitions = raw_clips["partitionDefinition"]
    assert partitions["type"] == "DYNAMIC"
    assert [d["dynamicPartitionsDefinitionName"] for d in partitions["dimensionTypes"]] == [VIDEOS]
    repo = {
        "repositoryName": raw_clips["repository"]["name"],
        "repositoryLocationName": raw_clips["repository"]["location"]["name"],
    }

    # The daemon's first sensor tick sees an empty store; only after it may the video appear.
    ticks = dagster_dev.wait_for("the inbox sensor's first tick", lambda: finished_sensor_ticks(dagster_dev, repo), 60)
    assert [t["status"] for t in ticks] == ["SKIPPED"], ticks
    video_id = ingest_sample(shared_data, tmp_path, cfg.data_root)

    added = dagster_dev.query(ADD_PARTITION, repo=repo, name=VIDEOS, key=video_id)["addDynamicPartition"]
    assert added == {"__typename": "AddDynamicPartitionSuccess", "partitionsDefName": VIDEOS, "partitionKey": video_id}
    keys = dagster_dev.query(PARTITION_KEYS, key={"path": ["raw_clips"]})["assetNodeOrError"]["partitionKeys"]
    assert keys == [video_id]

    params = {
        "selector": repo | {
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": ["raw_clips"]}],
            "assetCheckSelection": [{"assetKey": {"path": ["raw_clips"]}, "name": CLIP_SANE_CHECK}],
        },
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": video_id}]},
    }
    launched = dagster_dev.query(LAUNCH_RUN, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    status = dagster_dev.wait_for(f"run {run_id}", lambda: finished_run_status(dagster_dev, run_id), RUN_TIMEOUT_S)
    assert status == "SUCCESS", failure_report(dagster_dev, run_id)

    materializations = dagster_dev.query(MATERIALIZATIONS, key={"path": ["raw_clips"]}, partitions=[video_id])
    [materialization] = materializations["assetOrError"]["assetMaterializations"]
    assert (materialization["partition"], materialization["runId"]) == (video_id, run_id)
    metadata = {e["label"]: e for e in materialization["metadataEntries"]}
    assert metadata["clip_frames"]["intValue"] == 60  # 2.0 s GIF at the normalised 30 fps
    assert metadata["clip_fps"]["floatValue"] == pytest.approx(30.0)
    assert len(metadata["dvc_md5"]["text"]) == 32
    events = run_events(dagster_dev, run_id)
    checks = [e["evaluation"] for e in events if e["__typename"] == "AssetCheckEvaluationEvent"]
    assert checks == [{"checkName": CLIP_SANE_CHECK, "success": True, "targetMaterialization": {"runId": run_id}}]
    assert (cfg.data_root / "raw_clips" / video_id / "clip.mp4").stat().st_size > 0

    runs = dagster_dev.query(RUNS_WITH_TAG, filter={"tags": [{"key": "dagster/partition", "value": video_id}]})
    assert [r["runId"] for r in runs["runsOrError"]["results"]] == [run_id]  # the sensor launched nothing
