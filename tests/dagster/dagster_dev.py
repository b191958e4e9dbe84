"""Drive `dagster dev` (webserver and daemon) over GraphQL, as the Dagster UI does: start it on a free port
against a throwaway project, query and mutate, wait for sensors and runs with deadlines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests

from vitra_assets.instance import ensure_dagster_home

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


@contextmanager
def launch_dagster_dev(
    project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> Iterator[DagsterDev]:
    """`dagster dev -m vitra_assets.definitions` (webserver and daemon) on a free port against a TmpProject;
    `env` adds settings (e.g. sensor intervals). Stops the whole process group on exit."""
    # ensure_dagster_home exports DAGSTER_HOME; setting it through monkeypatch first restores it afterwards.
    monkeypatch.setenv("DAGSTER_HOME", project.overrides["dagster.home"])
    home = ensure_dagster_home(project.config)
    port = free_port()
    log = tmp_path / "dagster_dev.log"
    dagster = str(Path(sys.executable).parent / "dagster")
    command = [dagster, "dev", "-m", "vitra_assets.definitions", "-h", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=project.env | {"DAGSTER_HOME": str(home)} | env,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
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
  runsOrError(filter: $filter) { ... on Runs { results { runId status jobName tags { key value } } } }
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
