"""The CLI never launches work for a video with a run in flight elsewhere (the daemon's, the UI's): it waits
for that run, then runs only the stages still missing. A run record in STARTED status stands for the other
run (as Dagster's own tests make one); a thread does its work on the real clip, then marks it finished."""

from __future__ import annotations

import threading
import time

from dagster import DagsterEvent, DagsterEventType, DagsterRun, DagsterRunStatus
from dagster._core.test_utils import create_run_for_test

from tests.inbox_inputs import store_video
from vitra_assets.backfill import RANGE_END_TAG, RANGE_START_TAG, run_batches
from vitra_assets.captions import captions
from vitra_assets.definitions import defs
from vitra_assets.hand_poses import hand_poses
from vitra_assets.in_flight import in_flight_runs
from vitra_assets.launcher import RunSpec
from vitra_assets.raw_clips import raw_clips
from vitra_assets.runner import InProcessRuns, IngestReport, materialize_partitions, run_spec
from vitra_core.layout import DataLayout

GIF = "lavila/ego4d_cf7c12db.gif"


class RecordedRuns:
    """Records what the CLI path would launch (the stages after raw_clips load models: not needed here)."""

    def __init__(self):
        self.specs: list[RunSpec] = []

    def run(self, spec: RunSpec, label: str | None = None) -> DagsterRun:
        self.specs.append(spec)
        return DagsterRun(job_name=spec.job_name, run_id=f"recorded-{len(self.specs)}", status=DagsterRunStatus.SUCCESS)


def other_run_builds_raw_clips_then_finishes(instance, other: DagsterRun, video: str) -> threading.Thread:
    """What the daemon's run does, a moment after the CLI started waiting: build raw_clips, then succeed."""
    def work():
        time.sleep(1.0)
        assert InProcessRuns(instance, defs).run(run_spec([raw_clips.key], video)).is_success
        instance.report_dagster_event(DagsterEvent(DagsterEventType.RUN_SUCCESS.value, job_name=other.job_name),
                                      run_id=other.run_id)

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_the_cli_waits_for_a_daemon_run_of_the_video_then_runs_only_the_stages_it_left(
    shared_data, tmp_project, disk_instance
):
    video = store_video(tmp_project, shared_data / GIF)
    disk_instance.add_dynamic_partitions("videos", [video])
    other = create_run_for_test(disk_instance, job_name="per_video", status=DagsterRunStatus.STARTED,
                                tags={"dagster/partition": video, "dagster/sensor_name": "inbox_sensor"})
    assert in_flight_runs(disk_instance, [video]) == [other]
    thread = other_run_builds_raw_clips_then_finishes(disk_instance, other, video)
    runs, lines, report = RecordedRuns(), [], IngestReport()
    materialize_partitions(disk_instance, defs, {video: [raw_clips.key, hand_poses.key]}, report,
                           DataLayout(tmp_project.config.data_root), runs=runs, echo=lines.append)
    thread.join()

    assert f"  {video} (ego4d_cf7c12db.gif): waiting for run {other.run_id[:8]} (started, launched by the " \
           f"sensor inbox_sensor), then running what it left undone" in lines
    assert [(s.partition_key, s.assets) for s in runs.specs] == [(video, (hand_poses.key,))]  # raw_clips not again
    assert len(disk_instance.fetch_materializations(raw_clips.key, limit=10).records) == 1
    assert disk_instance.get_run_by_id(other.run_id).status == DagsterRunStatus.SUCCESS
    assert report.succeeded == [video]


def test_a_batched_run_whose_key_range_holds_the_video_is_waited_for_and_a_video_outside_it_is_not(
    shared_data, tmp_project, disk_instance
):
    video = store_video(tmp_project, shared_data / GIF)
    first, middle, after = "0" * 16, "1" * 16, "f" * 16  # partitions only: their runs are recorded, not executed
    disk_instance.add_dynamic_partitions("videos", [first, middle, video, after])
    batch = create_run_for_test(disk_instance, job_name="per_video", status=DagsterRunStatus.STARTED,
                                tags={RANGE_START_TAG: first, RANGE_END_TAG: video})
    assert [r.run_id for r in in_flight_runs(disk_instance, [middle])] == [batch.run_id]
    assert in_flight_runs(disk_instance, [after]) == []
    assert [r.run_id for r in in_flight_runs(disk_instance, [after, middle])] == [batch.run_id]
    thread = other_run_builds_raw_clips_then_finishes(disk_instance, batch, video)
    runs, lines, report = RecordedRuns(), [], IngestReport()
    run_batches(disk_instance, defs, {video: [raw_clips.key, captions.key], after: [raw_clips.key, captions.key]},
                2, report, DataLayout(tmp_project.config.data_root), runs=runs, echo=lines.append)
    thread.join()

    assert f"  batch {video}..{after} (2 videos): a video of it has a run in flight elsewhere; one run per video instead" \
           in lines
    assert any(line.startswith(f"  {video} (ego4d_cf7c12db.gif): waiting for run {batch.run_id[:8]}") for line in lines)
    assert not any(line.startswith(f"  {after} (?): waiting") for line in lines)
    assert [(s.partition_key, s.assets) for s in runs.specs] == [
        (video, (captions.key,)), (after, (raw_clips.key, captions.key))]
    assert sorted(report.succeeded) == sorted([video, after])


def test_runs_that_can_never_finish_are_not_waited_for(shared_data, tmp_project, disk_instance):
    """A run queued while no daemon dequeues runs stays queued; a STARTED run whose worker process is gone
    is marked failed with the reason (vitra_assets/run_health.py); the CLI runs the video either way."""
    import subprocess

    video = store_video(tmp_project, shared_data / GIF)
    disk_instance.add_dynamic_partitions("videos", [video])
    from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteRepositoryOrigin

    origin = RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("vitra_assets.definitions"), "__repository__")
    queued = create_run_for_test(disk_instance, job_name="per_video", status=DagsterRunStatus.QUEUED,
                                 tags={"dagster/partition": video}, remote_job_origin=origin.get_job_origin("per_video"))
    orphan = create_run_for_test(disk_instance, job_name="per_video", status=DagsterRunStatus.NOT_STARTED,
                                 tags={"dagster/partition": video})
    worker = subprocess.Popen(["sleep", "0"])
    worker.wait()  # a process that started before the run and is gone: a run worker killed with its code server
    disk_instance.report_dagster_event(DagsterEvent(DagsterEventType.RUN_START.value, job_name="per_video",
                                                    pid=worker.pid), run_id=orphan.run_id)
    assert disk_instance.get_run_by_id(orphan.run_id).status == DagsterRunStatus.STARTED
    runs, lines = RecordedRuns(), []
    materialize_partitions(disk_instance, defs, {video: [raw_clips.key]}, IngestReport(),
                           DataLayout(tmp_project.config.data_root), runs=runs, echo=lines.append)

    label = f"  {video} (ego4d_cf7c12db.gif)"
    assert f"{label}: not waiting for queued run {queued.run_id[:8]}: no daemon is running to start it" in lines
    assert (f"{label}: run {orphan.run_id[:8]} marked failed: its run worker process (pid {worker.pid}) is gone "
            "without finishing the run") in lines
    assert disk_instance.get_run_by_id(queued.run_id).status == DagsterRunStatus.QUEUED
    assert disk_instance.get_run_by_id(orphan.run_id).status == DagsterRunStatus.FAILURE
    assert [(s.partition_key, s.assets) for s in runs.specs] == [(video, (raw_clips.key,))]


def test_the_cli_waits_for_an_inbox_sensor_tick_that_added_the_video_and_has_not_submitted_its_run_yet(
    shared_data, tmp_project, disk_instance
):
    """The daemon adds a tick's partitions, then submits its runs, then ends the tick: in between, the video
    is pending with no run. The tick is STARTED throughout, so the CLI waits for it, then for its run."""
    from dagster._core.definitions.run_request import InstigatorType
    from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteRepositoryOrigin
    from dagster._core.scheduler.instigation import InstigatorState, InstigatorStatus, TickData, TickStatus
    from dagster._daemon.types import DaemonHeartbeat

    video = store_video(tmp_project, shared_data / GIF)
    repository = RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("vitra_assets.definitions"), "__repository__")
    state = InstigatorState(repository.get_instigator_origin("inbox_sensor"), InstigatorType.SENSOR,
                            InstigatorStatus.DECLARED_IN_CODE)
    disk_instance.add_instigator_state(state)
    disk_instance.add_daemon_heartbeat(DaemonHeartbeat(time.time(), "SENSOR", "test-daemon", None))
    tick = disk_instance.create_tick(TickData(
        instigator_origin_id=state.instigator_origin_id, instigator_name="inbox_sensor",
        instigator_type=InstigatorType.SENSOR, status=TickStatus.STARTED, timestamp=time.time(),
        selector_id=state.selector_id))
    disk_instance.add_dynamic_partitions("videos", [video])  # the tick's partition; its run is not created yet
    started: list[threading.Thread] = []

    def daemon_submits_the_run_then_ends_the_tick():
        time.sleep(1.0)
        run = create_run_for_test(disk_instance, job_name="per_video", status=DagsterRunStatus.STARTED,
                                  tags={"dagster/partition": video, "dagster/sensor_name": "inbox_sensor"})
        disk_instance.update_tick(tick.with_status(TickStatus.SUCCESS).with_run_info(run_id=run.run_id))
        started.append(other_run_builds_raw_clips_then_finishes(disk_instance, run, video))

    daemon = threading.Thread(target=daemon_submits_the_run_then_ends_the_tick)
    daemon.start()
    runs, lines = RecordedRuns(), []
    materialize_partitions(disk_instance, defs, {video: [raw_clips.key, hand_poses.key]}, IngestReport(),
                           DataLayout(tmp_project.config.data_root), runs=runs, echo=lines.append)
    daemon.join()
    started[0].join()

    label = f"  {video} (ego4d_cf7c12db.gif)"
    assert lines[0] == f"{label}: waiting for the inbox sensor's tick in progress (it may launch a run of this video)"
    assert lines[1].startswith(f"{label}: waiting for run ")
    assert [(s.partition_key, s.assets) for s in runs.specs] == [(video, (hand_poses.key,))]
    assert len(disk_instance.fetch_materializations(raw_clips.key, limit=10).records) == 1
