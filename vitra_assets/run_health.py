"""Can an unfinished run still finish? What Dagster's run monitoring decides, for a CLI that waits on runs.

The DefaultRunLauncher has no run worker health check (`supports_check_run_worker_health` is False): the
code server that started a run worker fails the run when the worker dies, but only while that code server
lives. A run whose worker and code server both died stays STARTED forever, and so would a CLI waiting for it.
So the CLI checks the worker itself where it can see it: the run worker's pid (on its RUN_START event) on
this machine, which holds for the CLI's own runs (its code server is a child process) and for every run of
a SQLite instance (the database file is this machine's). Otherwise the launcher's own check is used when it
has one, else the run is waited for.
"""

from __future__ import annotations

import time

from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus

# A process created after its run's RUN_START is another one under a reused pid; psutil derives the creation
# time from the boot time and clock ticks, which can be off by up to a second.
_PID_CLOCK_SLACK_S = 1.0


def failed_worker_reason(instance: DagsterInstance, run: DagsterRun, worker_on_this_host: bool) -> str | None:
    """Why `run` can never finish by itself (its worker is gone, or it never started), or None.

    A launched run not STARTED within the instance's `run_monitoring.start_timeout_seconds` (Dagster's
    default 180 s) counts as never started, as Dagster's run monitoring decides."""
    if run.status in (DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING):
        return _start_timeout_reason(instance, run)
    if run.status != DagsterRunStatus.STARTED:
        return None
    launcher = instance.run_launcher
    if launcher.supports_check_run_worker_health:
        from dagster._core.launcher import WorkerStatus

        health = launcher.check_run_worker_health(run)
        if health.status in (WorkerStatus.RUNNING, WorkerStatus.SUCCESS):  # anything else fails it, as in Dagster
            return None
        return f"run worker {health.status.value.lower()}: {health.msg or 'no details'}"
    if worker_on_this_host:
        return _local_worker_reason(instance, run)
    return None


def fail_if_worker_failed(instance: DagsterInstance, run: DagsterRun, worker_on_this_host: bool) -> str | None:
    """Mark `run` failed when its worker can no longer finish it (`instance.report_run_failed`, as Dagster's
    run monitoring does); returns the reason when it did."""
    reason = failed_worker_reason(instance, run, worker_on_this_host)
    if reason is None:
        return None
    current = instance.get_run_by_id(run.run_id)
    if current.is_finished:  # it finished while we looked
        return None
    instance.report_run_failed(current, f"Marked failed by the vitra CLI: {reason}.")
    return reason


def worker_on_this_host(instance: DagsterInstance, launched_here: bool) -> bool:
    """Whether a run's worker is a process on this machine: the DefaultRunLauncher starts it from the code
    server that launched the run, which is this CLI's child for its own runs, and on this machine for every
    run of a SQLite instance (its database file is local)."""
    from dagster._core.launcher import DefaultRunLauncher
    from dagster._core.storage.runs import SqliteRunStorage

    local_launch = launched_here or isinstance(instance.run_storage, SqliteRunStorage)
    return isinstance(instance.run_launcher, DefaultRunLauncher) and local_launch


def queue_daemon_running(instance: DagsterInstance) -> bool:
    """Whether a daemon dequeues QUEUED runs, by Dagster's own daemon health (its UI's "Daemons" page)."""
    from dagster._daemon.controller import get_daemon_statuses
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

    daemon = QueuedRunCoordinatorDaemon.daemon_type()
    return bool(get_daemon_statuses(instance, [daemon], ignore_errors=True)[daemon].healthy)


def _start_timeout_reason(instance: DagsterInstance, run: DagsterRun) -> str | None:
    record = instance.get_run_record_by_id(run.run_id)
    launched = instance.get_run_stats(run.run_id).launch_time or record.create_timestamp.timestamp()
    timeout = instance.run_monitoring_start_timeout_seconds
    if time.time() - launched < timeout:
        return None
    return f"it did not start within {timeout} s of its launch (run_monitoring.start_timeout_seconds)"


def _local_worker_reason(instance: DagsterInstance, run: DagsterRun) -> str | None:
    import psutil

    starts = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_START)
    if not starts:
        return None  # STARTED without a RUN_START: nothing to check against
    pid, started = starts[-1].dagster_event.pid, starts[-1].timestamp
    try:
        worker = psutil.Process(pid)
        alive = worker.status() != psutil.STATUS_ZOMBIE and worker.create_time() <= started + _PID_CLOCK_SLACK_S
    except psutil.NoSuchProcess:
        alive = False
    return None if alive else f"its run worker process (pid {pid}) is gone without finishing the run"
