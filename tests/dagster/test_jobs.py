"""Named jobs and asset groups that read as the pipeline (the UI's Jobs page and global lineage)."""

from dagster import AssetKey, DefaultScheduleStatus

from vitra_assets.definitions import defs
from vitra_assets.jobs import job_for

PIPELINE = {
    "per_video": ["raw_clips", "hand_poses", "camera_motion", "segments", "captions"],
    "dataset": ["episodes"],
    "train": ["pretrained_vla", "vla_eval"],
    "robot": ["robot_demos", "finetuned_policy", "policy_eval"],
    "benefit": ["pretraining_benefit"],
    "deploy": ["deployed_policy"],
}


def test_each_named_job_selects_its_stage_of_the_pipeline_with_its_checks():
    for name, assets in PIPELINE.items():
        job = defs.resolve_job_def(name)
        assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} == set(assets), name
        checks = {check.asset_key.to_user_string() for check in job.asset_layer.asset_graph.asset_check_keys}
        assert checks <= set(assets) and checks, name
    assert defs.resolve_job_def("per_video").partitions_def.name == "videos"
    assert defs.resolve_job_def("dataset").partitions_def is None


def test_asset_groups_read_as_the_pipeline_and_the_inbox_sensor_launches_per_video():
    graph = defs.resolve_asset_graph()
    groups = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    assert groups == {
        "per_video": set(PIPELINE["per_video"]),
        "dataset": {"episodes"},
        "model": {"pretrained_vla", "vla_eval", "pretraining_benefit"},
        "robot": {"robot_demos", "finetuned_policy", "policy_eval", "deployed_policy"},
    }
    assert defs.resolve_sensor_def("inbox_sensor").job_name == "per_video"
    assert job_for([AssetKey("segments"), AssetKey("captions")]) == "per_video"
    assert job_for([AssetKey("episodes"), AssetKey("pretrained_vla")]) is None  # across jobs: the implicit asset job


def test_the_nightly_dataset_schedule_targets_the_dataset_job_and_is_off_until_started():
    schedule = defs.resolve_schedule_def("nightly_dataset")
    assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == ("dataset", "0 3 * * *", "UTC")
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
