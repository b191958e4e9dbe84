"""Runs nothing will ever finish: one whose worker died with its code server (an OOM kill, a crash of the
whole process group), one never launched. The CLI marks them failed instead of waiting forever."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from vitra_assets import launcher as launcher_module
from vitra_assets.launcher import RunSpec, workspace_launcher


@pytest.mark.slow
@pytest.mark.timeout(180)  # the bound: before this change the wait never returned
def test_a_run_whose_worker_and_code_server_were_killed_is_marked_failed_by_the_wait(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    pid_file = tmp_path / "worker.pid"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("VITRA_TEST_PID_FILE", str(pid_file))  # the code server and its workers inherit it
    monkeypatch.setattr(launcher_module, "DEFINITIONS_MODULE", "tests.dagster.sleepy_definitions")
    with DagsterInstance.get() as instance, workspace_launcher(instance) as launcher:
        run = launcher.launch(RunSpec("sleepy"))
        while not pid_file.exists():
            time.sleep(0.1)
        worker = psutil.Process(int(pid_file.read_text()))
        worker.parent().kill()  # the code server first: it would otherwise report the worker's death itself
        os.kill(worker.pid, signal.SIGKILL)
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED  # and would stay so

        finished = launcher.wait(run.run_id)
    assert finished.status == DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
    [failure] = [e for e in instance.all_logs(run.run_id) if e.dagster_event and e.dagster_event.is_run_failure]
    assert f"run worker process (pid {worker.pid}) is gone" in failure.dagster_event.message


@pytest.mark.parametrize("start_timeout_s, failed", [(0, True), (180, False)])
def test_a_run_never_launched_is_failed_after_the_instances_start_timeout(tmp_path, start_timeout_s, failed):
    """A run created and never launched (a CLI killed between the two) stays NOT_STARTED forever; like
    Dagster's run monitoring, the CLI fails it after `run_monitoring.start_timeout_seconds` (180 s default)."""
    from dagster._core.test_utils import create_run_for_test

    from vitra_assets.run_health import fail_if_worker_failed

    (tmp_path / "dagster.yaml").write_text(
        f"telemetry:\n  enabled: false\nrun_monitoring:\n  enabled: false\n  start_timeout_seconds: {start_timeout_s}\n")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        run = create_run_for_test(instance, job_name="per_video", status=DagsterRunStatus.NOT_STARTED)
        reason = fail_if_worker_failed(instance, run, worker_on_this_host=True)
        status = instance.get_run_by_id(run.run_id).status
    if failed:
        assert reason == "it did not start within 0 s of its launch (run_monitoring.start_timeout_seconds)"
        assert status == DagsterRunStatus.FAILURE
    else:
        assert (reason, status) == (None, DagsterRunStatus.NOT_STARTED)
