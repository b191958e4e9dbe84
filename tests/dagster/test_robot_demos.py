"""The `robot_demos` asset records demos of every task and reports the demonstrators' success in its metadata."""

import json

import pytest
from dagster import materialize

from robot.demos import dataset_fingerprint, read_demo_report
from robot.sim.tasks import TASKS, TRAINING_TASKS
from vitra_assets.robot_demos import robot_demos


@pytest.mark.slow
def test_robot_demos_asset_writes_two_demos_per_task_and_reports_their_success(tmp_project):
    tmp_project.overrides["robot_demos.episodes_per_task"] = "2"
    result = materialize([robot_demos], resources={"vitra": tmp_project.resource()})
    assert result.success
    materialization = result.asset_materializations_for_node("robot_demos")[0]
    meta = {key: value.value for key, value in materialization.metadata.items()}
    root = tmp_project.config.data_root / "robot_demos"
    for task in TRAINING_TASKS:  # recorded; held-out variations are only evaluated
        assert (meta[f"{task}_demos"], meta[f"{task}_successes"], meta[f"{task}_success_rate"]) == (2, 2, 1.0)
    steps = {task: round(TASKS[task].episode_s * 10) for task in TRAINING_TASKS}  # 10 Hz control = dataset fps
    assert (meta["episodes"], meta["frames"]) == (6, 2 * sum(steps.values()))
    assert meta["dataset_path"] == str(root)
    assert meta["preview"].startswith("![") and "data:image/jpeg;base64," in meta["preview"]
    assert "| table_grasp | 2 | 2 | 100% | - |" in meta["demonstrators"]
    assert materialization.tags["dagster/data_version"] == meta["fingerprint"] == dataset_fingerprint(root)
    info = json.loads((root / "meta" / "info.json").read_text())
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (6, meta["frames"], 3)
    assert {t.task: t.successes for t in read_demo_report(root).tasks.values()} == {task: 2 for task in TRAINING_TASKS}
