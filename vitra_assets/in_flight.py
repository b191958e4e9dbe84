"""Runs of a video partition launched elsewhere (the daemon's inbox sensor, the UI) that have not finished.

The CLI's own runs of a video hold `<data>/.locks/<id>.lock`; a run the daemon or the UI launched does not.
So before the CLI launches work for a video it waits for every unfinished run of it (one tagged with the
partition, or a batched run whose key range holds it), then looks again at what is still missing
(`runner._claim_video`): each stage runs once.

The sensor adds a tick's partitions before the daemon submits the tick's runs, so a video can be pending
with its run not created yet; the tick is STARTED from before the sensor reads the partitions until after
its runs are submitted, so the CLI also waits while an inbox sensor tick is in progress that has not
submitted its run for the video (or has not yet said which runs it wants).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG, PARTITION_NAME_TAG

from vitra_assets.partitions import VIDEOS
from vitra_assets.run_health import fail_if_worker_failed, queue_daemon_running, worker_on_this_host

INBOX_SENSOR = "inbox_sensor"
# Runs that are executing or about to (Dagster's IN_PROGRESS_RUN_STATUSES leaves out the queued and the
# created-but-not-launched; a CANCELING run is being stopped, a SUSPENDED one has no worker).
IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
POLL_S = 0.5


def in_flight_runs(instance: DagsterInstance, keys: Collection[str]) -> list[DagsterRun]:
    """Unfinished runs (queued, not started, starting, started) of any partition in `keys`, alone or in a key
    range: one query for a whole batch of videos."""
    runs = instance.get_runs(filters=RunsFilter(statuses=IN_FLIGHT))
    ranged = [run for run in runs if ASSET_PARTITION_RANGE_START_TAG in run.tags]
    order = {k: i for i, k in enumerate(instance.get_dynamic_partitions(VIDEOS))} if ranged else {}
    wanted = set(keys)
    return [run for run in runs
            if run.tags.get(PARTITION_NAME_TAG) in wanted or any(_in_range(run.tags, key, order) for key in wanted)]


def _in_range(tags, key: str, order: dict[str, int]) -> bool:
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    return start in order and end in order and key in order and order[start] <= order[key] <= order[end]


def inbox_tick_may_launch(instance: DagsterInstance, keys: Collection[str]) -> bool:
    """Whether an inbox sensor tick in progress may still submit a run of any partition in `keys` (while the sensor daemon is
    alive by Dagster's own daemon health: a tick left STARTED by a dead daemon is not waited for)."""
    from dagster._core.definitions.run_request import InstigatorType
    from dagster._core.scheduler.instigation import TickStatus
    from dagster._daemon.controller import get_daemon_statuses
    from dagster._daemon.daemon import SensorDaemon

    if instance.schedule_storage is None:  # an ephemeral instance: no sensor ticks
        return False
    states = [s for s in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
              if s.instigator_name == INBOX_SENSOR]
    if not states:
        return False
    daemon = SensorDaemon.daemon_type()
    if not get_daemon_statuses(instance, [daemon], ignore_errors=True)[daemon].healthy:
        return False
    for state in states:
        for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1,
                                       statuses=[TickStatus.STARTED]):
            # No reserved runs yet: the sensor is still evaluating or its partitions are being added.
            unsubmitted = [request.partition_key for _, request in tick.unsubmitted_run_ids_with_requests]
            if not tick.tick_data.reserved_run_ids or not set(keys).isdisjoint(unsubmitted):
                return True
    return False


def _origin(run: DagsterRun) -> str:
    if "dagster/sensor_name" in run.tags:
        return f"launched by the sensor {run.tags['dagster/sensor_name']}"
    if "dagster/backfill" in run.tags:
        return f"part of backfill {run.tags['dagster/backfill']}"
    if run.tags.get("vitra/launched_by") == "cli":
        return "launched by another vitra command"
    return "launched from the UI or another client"


def wait_for_runs_elsewhere(instance: DagsterInstance, key: str, label: str, echo: Callable[[str], None]) -> None:
    """Return once no run of `key` launched elsewhere is unfinished and no inbox sensor tick may launch one.

    Each awaited run gets a line (`label` names the video). A run that can never finish is not waited for:
    one whose worker is gone is marked failed (vitra_assets/run_health.py); a queued run while no daemon
    dequeues runs is left queued (it runs once a daemon is back)."""
    local = worker_on_this_host(instance, launched_here=False)
    told: set[str] = set()

    def tell(what: str, line: str) -> None:
        if what not in told:
            told.add(what)
            echo(f"  {label}: {line}")

    while True:
        tick = inbox_tick_may_launch(instance, [key])  # before the runs: a tick that ends now has submitted its run
        awaited = []
        for run in in_flight_runs(instance, [key]):
            if run.status == DagsterRunStatus.QUEUED and not queue_daemon_running(instance):
                tell(run.run_id, f"not waiting for queued run {run.run_id[:8]}: no daemon is running to start it")
            elif (reason := fail_if_worker_failed(instance, run, local)) is not None:
                tell(run.run_id, f"run {run.run_id[:8]} marked failed: {reason}")
            else:
                awaited.append(run)
                tell(run.run_id, f"waiting for run {run.run_id[:8]} ({run.status.value.lower()}, {_origin(run)}), "
                                 "then running what it left undone")
        if tick:
            tell("tick", "waiting for the inbox sensor's tick in progress (it may launch a run of this video)")
        if not awaited and not tick:
            return
        time.sleep(POLL_S)
