"""The UI path: `dagster dev` (webserver and daemon) serves the asset graph and runs `raw_clips` over GraphQL.

Everything the Dagster UI does goes through this GraphQL endpoint, so driving it here checks what a
user clicking "Materialize" would get: the code location loads, the partition is added, the queued
run is picked up by the daemon and materializes the clip with its metadata.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from vitra_assets.instance import ensure_dagster_home
from vitra_assets.partitions import VIDEOS
from vitra_assets.raw_clips import CLIP_SANE_CHECK
from vitra_core.layout import DataLayout
from vitra_core.video.ingest import ingest_file

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 120
RUN_TIMEOUT_S = 180
TERMINAL_RUN_STATUSES = {"SUCCESS", "FAILURE", "CANCELED"}


class DagsterDev:
    """A running `dagster dev` and a GraphQL client for it; `log` holds its stdout and stderr."""

    def __init__(self, port: int, log: Path, process: subprocess.Popen):
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self.process = process

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    def query(self, document: str, **variables: Any) -> dict:
        response = requests.post(f"{self.url}/graphql", json={"query": document, "variables": variables}, timeout=30)
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), f"GraphQL errors: {body['errors']}"
        return body["data"]

    def wait_for(self, what: str, check: Callable[[], Any], timeout_s: float, interval_s: float = 1.0) -> Any:
        """Call `check` until it returns something truthy; fail with the server's log tail on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                pytest.fail(f"dagster dev exited ({code}) while waiting for {what}:\n{self.log_tail()}")
            result = check()
            if result:
                return result
            time.sleep(interval_s)
        pytest.fail(f"timed out after {timeout_s} s waiting for {what}; dagster dev log:\n{self.log_tail()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(process: subprocess.Popen, grace_s: float = 20) -> None:
    """SIGTERM the whole session (webserver, daemon, code server), then SIGKILL what is left."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_s)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=grace_s)


def server_answers(dagster: DagsterDev) -> bool:
    try:
        return requests.get(f"{dagster.url}/server_info", timeout=5).ok
    except requests.RequestException:
        return False


@pytest.fixture
def dagster_dev(tmp_project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`dagster dev -m vitra_assets.definitions` on a free port against the throwaway project.

    The inbox sensor's interval is set to an hour, so after its first tick (at daemon start) it
    stays quiet and the test alone decides which runs are launched.
    """
    # ensure_dagster_home exports DAGSTER_HOME; setting it through monkeypatch first restores it afterwards.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    home = ensure_dagster_home(tmp_project.config)
    env = tmp_project.env | {"DAGSTER_HOME": str(home), "VITRA_INBOX__POLL_INTERVAL_S": "3600"}
    port = free_port()
    log = tmp_path / "dagster_dev.log"
    dagster = str(Path(sys.executable).parent / "dagster")
    command = [dagster, "dev", "-m", "vitra_assets.definitions", "-h", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = DagsterDev(port, log, process)
    try:
        server.wait_for("the webserver to answer", lambda: server_answers(server), SERVER_START_TIMEOUT_S)
        yield server
    finally:
        stop_process_group(process)


LOCATIONS = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
    ... on PythonError { message }
  }
}"""

ASSET_NODES = """
query {
  assetNodes {
    assetKey { path }
    groupName
    repository { name location { name } }
    partitionDefinition { type name dimensionTypes { type dynamicPartitionsDefinitionName } }
  }
}"""

SENSOR = """
query ($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status ticks(limit: 5) { status error { message } } } }
    ... on PythonError { message }
  }
}"""

ADD_PARTITION = """
mutation ($repo: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $repo, partitionsDefName: $name, partitionKey: $key) {
    __typename
    ... on AddDynamicPartitionSuccess { partitionsDefName partitionKey }
    ... on PythonError { message }
  }
}"""

PARTITION_KEYS = """
query ($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) { ... on AssetNode { partitionKeys } }
}"""

LAUNCH_RUN = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on Error { message }
    ... on PythonError { stack }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

RUN_STATUS = """
query ($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status }
  }
}"""

RUN_EVENTS = """
query ($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run {
      eventConnection(limit: 1000) {
        events {
          __typename
          ... on MessageEvent { message level }
          ... on ExecutionStepFailureEvent { error { message stack } }
          ... on RunFailureEvent { error { message } }
          ... on AssetCheckEvaluationEvent { evaluation { checkName success targetMaterialization { runId } } }
        }
      }
    }
  }
}"""

MATERIALIZATIONS = """
query ($key: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $key) {
    __typename
    ... on Asset {
      assetMaterializations(partitions: $partitions) {
        partition runId
        metadataEntries {
          label
          ... on IntMetadataEntry { intValue }
          ... on FloatMetadataEntry { floatValue }
          ... on TextMetadataEntry { text }
        }
      }
    }
  }
}"""

RUNS_WITH_TAG = """
query ($filter: RunsFilter) {
  runsOrError(filter: $filter) { ... on Runs { results { runId status } } }
}"""


def loaded_location(dagster: DagsterDev) -> dict | None:
    """The single code location once it has loaded; fails at once if it loaded with an error."""
    workspace = dagster.query(LOCATIONS)["workspaceOrError"]
    assert workspace["__typename"] == "Workspace", workspace
    entries = workspace["locationEntries"]
    if len(entries) != 1 or entries[0]["loadStatus"] != "LOADED":
        return None
    assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation", entries[0]
    return entries[0]


def finished_sensor_ticks(dagster: DagsterDev, repo: dict) -> list[dict]:
    selector = repo | {"sensorName": "inbox_sensor"}
    sensor = dagster.query(SENSOR, selector=selector)["sensorOrError"]
    assert sensor["__typename"] == "Sensor", sensor
    assert sensor["sensorState"]["status"] == "RUNNING", sensor
    return [t for t in sensor["sensorState"]["ticks"] if t["status"] != "STARTED"]


def finished_run_status(dagster: DagsterDev, run_id: str) -> str | None:
    """The run's status once it is terminal; None while it is queued, starting or running."""
    run = dagster.query(RUN_STATUS, runId=run_id)["runOrError"]
    assert run["__typename"] == "Run", run
    return run["status"] if run["status"] in TERMINAL_RUN_STATUSES else None


def run_events(dagster: DagsterDev, run_id: str) -> list[dict]:
    return dagster.query(RUN_EVENTS, runId=run_id)["runOrError"]["eventConnection"]["events"]


def failure_report(dagster: DagsterDev, run_id: str) -> str:
    errors = [e for e in run_events(dagster, run_id) if e.get("error") or e.get("level") == "ERROR"]
    return f"run {run_id} events with errors: {errors}\ndagster dev log:\n{dagster.log_tail()}"


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
    assert raw_clips["groupName"] == "ingest"
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
