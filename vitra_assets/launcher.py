"""Launch runs of the named jobs through the Dagster instance, as the UI does, and wait for them.

The CLI loads the code location the way `dagster dev -m vitra_assets.definitions` does (a code server
subprocess, location `vitra_assets.definitions`), creates each run from that location's job snapshot
with its remote origin, and hands it to the instance's run launcher (DefaultRunLauncher: a run worker
process). So a CLI run is the same record a UI launch makes: job name, partition and tags on the runs
list, and "Re-execute" from the UI loads the same job without a version warning. The run is launched
directly rather than queued: the queue is drained by the daemon, which the CLI does not need running.

Dagster has no public Python API for this (only the `dagster job launch` command, which queues); the
calls mirror dagster-graphql's `launchRun` (dagster 1.13).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from dagster import AssetKey, DagsterInstance, DagsterRun, DagsterRunStatus

from vitra_core import console
from vitra_core.errors import VitraError

# The module `vitra ui` serves (`dagster dev -m vitra_assets.definitions`), which names the code location after it.
DEFINITIONS_MODULE = "vitra_assets.definitions"
UI_URL = "http://127.0.0.1:3000"  # `vitra ui`'s default address
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
POLL_S = 0.2


@dataclass(frozen=True)
class RunSpec:
    """One run to launch: a named job, optionally a subset of its assets, a partition, extra tags."""

    job_name: str
    assets: tuple[AssetKey, ...] | None = None
    partition_key: str | None = None
    tags: Mapping[str, str] | None = None
    run_config: Mapping[str, object] | None = None


class Runs(Protocol):
    """Something that runs a RunSpec to its end and returns the run's record."""

    def run(self, spec: RunSpec, label: str | None = None) -> DagsterRun: ...


def run_line(run: DagsterRun) -> str:
    """`success, run 3afd882c` (failures with the run's page in the UI, where its logs are)."""
    status = run.status.value.lower()
    if run.is_success:
        return f"{status}, run {run.run_id[:8]}"
    return f"{status}, run {run.run_id[:8]}: {UI_URL}/runs/{run.run_id} (`vitra ui`)"


class Launcher:
    """Creates and launches runs in one loaded workspace (open it with `workspace_launcher`)."""

    def __init__(self, instance: DagsterInstance, workspace, location_name: str):
        self.instance = instance
        self.workspace = workspace
        self.location_name = location_name

    def launch(self, spec: RunSpec) -> DagsterRun:
        """Create the run from the code location's job and launch it; returns at once."""
        from dagster._core.definitions.selector import JobSubsetSelector
        from dagster._core.storage.tags import PARTITION_NAME_TAG

        request = self.workspace.create_request_context()
        location = request.get_code_location(self.location_name)
        [repository] = location.get_repositories().values()
        remote_job = location.get_job(JobSubsetSelector(
            location_name=self.location_name, repository_name=repository.name, job_name=spec.job_name,
            op_selection=None, asset_selection=spec.assets,
        ))
        run_config = dict(spec.run_config or {})
        plan = location.get_execution_plan(remote_job, run_config, step_keys_to_execute=None, known_state=None,
                                           instance=self.instance)
        tags = {**remote_job.tags, **(spec.tags or {})}
        if spec.partition_key is not None:
            tags[PARTITION_NAME_TAG] = spec.partition_key
        run = self.instance.create_run(
            job_name=spec.job_name, run_id=None, run_config=run_config, resolved_op_selection=None,
            step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute, status=DagsterRunStatus.NOT_STARTED,
            tags=tags, root_run_id=None, parent_run_id=None, job_snapshot=remote_job.job_snapshot,
            execution_plan_snapshot=plan.execution_plan_snapshot, parent_job_snapshot=remote_job.parent_job_snapshot,
            op_selection=None, asset_selection=remote_job.asset_selection,
            asset_check_selection=remote_job.asset_check_selection,
            remote_job_origin=remote_job.get_remote_origin(), job_code_origin=remote_job.get_python_origin(),
            asset_graph=request.asset_graph,
        )
        return self.instance.launch_run(run.run_id, request)

    def wait(self, run_id: str, label: str | None = None) -> DagsterRun:
        """Poll the run's record until it finished (success, failure or canceled); with `label`, a line on the
        terminal shows the time so far (a tty only; it is cleared at the end). A run whose worker died with
        its code server (nothing else would ever finish it) is marked failed with the reason and returned
        (vitra_assets/run_health.py). Ctrl-C terminates the run, as the UI's "Terminate" does, rather than
        leaving it running unwatched."""
        from vitra_assets.run_health import fail_if_worker_failed, worker_on_this_host

        local = worker_on_this_host(self.instance, launched_here=True)
        with console.progress(desc=label, bar_format="{desc}: running, {elapsed}", leave=False,
                              disable=None if label else True) as bar:
            try:
                while True:
                    run = self.instance.get_run_by_id(run_id)
                    if run.status not in FINISHED and fail_if_worker_failed(self.instance, run, local):
                        run = self.instance.get_run_by_id(run_id)
                    if run.status in FINISHED:
                        return run
                    bar.refresh()
                    time.sleep(POLL_S)
            except KeyboardInterrupt:
                self.instance.run_launcher.terminate(run_id)
                raise

    def run(self, spec: RunSpec, label: str | None = None) -> DagsterRun:
        return self.wait(self.launch(spec).run_id, label)


@contextmanager
def workspace_launcher(instance: DagsterInstance) -> Iterator[Launcher]:
    """Load the project's code location (a code server process, as `dagster dev` starts) for the body's runs."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import ModuleTarget

    module = DEFINITIONS_MODULE  # read at call time: a test may serve changed code from another module
    target = ModuleTarget(module_name=module, attribute=None, working_directory=os.getcwd(), location_name=None)  # as `dagster dev -m`
    log_level = "DEBUG" if console.verbose() else "WARNING"  # its start/stop lines are not the person's business
    with WorkspaceProcessContext(instance, target, code_server_log_level=log_level) as workspace:
        request = workspace.create_request_context()
        error = request.get_code_location_error(module)
        if error is not None:
            raise VitraError(f"the Dagster definitions ({module}) failed to load: {error.message.strip()}")
        yield Launcher(instance, workspace, location_name=module)
