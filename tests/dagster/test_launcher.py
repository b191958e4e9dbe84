"""The CLI's runs go through the instance as a UI launch does: a run worker process, the named job, the
partition and tags on the runs list, the code location's origin, and re-execution as the UI's button does it."""

from __future__ import annotations

import os

import pytest
from dagster import DagsterEventType, DagsterRunStatus, RunsFilter

from tests.inbox_inputs import store_video
from vitra_assets.launcher import DEFINITIONS_MODULE, workspace_launcher
from vitra_assets.partitions import VIDEOS
from vitra_assets.raw_clips import raw_clips
from vitra_assets.runner import run_spec

GIF = "lavila/ego4d_cf7c12db.gif"


def _run_start_pid(instance, run_id: str) -> int:
    [start] = [record for record in instance.all_logs(run_id, of_type=DagsterEventType.RUN_START)]
    return start.dagster_event.pid


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_new_clip_runs_the_per_video_job_through_the_instance_and_is_listed_with_its_partition_and_tags(
    shared_data, tmp_project, disk_instance
):
    from dagster._core.definitions.selector import JobSubsetSelector
    from dagster._core.execution.plan.resume_retry import ReexecutionStrategy

    video_id = store_video(tmp_project, shared_data / GIF)
    disk_instance.add_dynamic_partitions(VIDEOS, [video_id])
    with workspace_launcher(disk_instance) as launcher:
        run = launcher.run(run_spec([raw_clips.key], video_id, {"vitra/source": "ego4d_cf7c12db.gif"}))
        assert run.status == DagsterRunStatus.SUCCESS

        [listed] = disk_instance.get_runs(RunsFilter(job_name="per_video", tags={"dagster/partition": video_id}))
        assert listed.run_id == run.run_id
        assert (listed.tags["vitra/source"], listed.tags["vitra/launched_by"]) == ("ego4d_cf7c12db.gif", "cli")
        assert listed.asset_selection == {raw_clips.key}
        origin = listed.remote_job_origin  # what the UI matches to offer "Re-execute" without a version warning
        assert (origin.location_name, origin.repository_origin.repository_name) == (DEFINITIONS_MODULE, "__repository__")
        assert _run_start_pid(disk_instance, run.run_id) != os.getpid()  # a run worker ran it, not this process
        assert disk_instance.get_materialized_partitions(raw_clips.key) == {video_id}

        # The UI's "Re-execute all" (launchRunReexecution): a new run from the parent's origin, launched the same way.
        request = launcher.workspace.create_request_context()
        location = request.get_code_location(DEFINITIONS_MODULE)
        remote_job = location.get_job(JobSubsetSelector(location_name=DEFINITIONS_MODULE, repository_name="__repository__",
                                                        job_name="per_video", op_selection=None,
                                                        asset_selection=listed.asset_selection))
        child = disk_instance.create_reexecuted_run(request_context=request, parent_run=listed, code_location=location,
                                                    remote_job=remote_job, strategy=ReexecutionStrategy.ALL_STEPS,
                                                    use_parent_run_tags=True)  # the UI's default
        disk_instance.launch_run(child.run_id, request)
        rerun = launcher.wait(child.run_id)
    assert rerun.status == DagsterRunStatus.SUCCESS
    assert (rerun.parent_run_id, rerun.tags["dagster/partition"], rerun.job_name) == (run.run_id, video_id, "per_video")
    records = disk_instance.fetch_materializations(raw_clips.key, limit=10).records
    assert sorted(r.run_id for r in records) == sorted([run.run_id, rerun.run_id])
