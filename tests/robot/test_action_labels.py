"""Robot action labels are commands: the dataset's `action` column, sent back to the hand, redoes every demo.

The Shadow hand's finger servos are weak (kp = 1), so the observed pose lags the command that produced
it (up to 0.57 rad of finger flexion while a grip closes on the can). A label that is the next observed
state reproduces the motion only as long as nothing re-anchors it; a policy that predicts motion from
where the hand is now (the VLA's relative actions) then commands too little and never builds the grip.
"""

import numpy as np
import pytest

from robot.controller.metrics import ControllerMetrics
from robot.controller.planner import Planner
from robot.demos import build_robot_demos, record_action, record_state
from robot.evaluation import rollout
from robot.evaluation.replay import (
    CHUNK_SIZE,
    RelativeLabelImitator,
    next_state_labels,
    replay_open_loop,
)
from robot.mapping.shadow import COMMANDED_COMPONENTS
from robot.policy_adapter import RIGHT_HAND, action_to_command
from robot.sim.recording import episode_pushes, record_episode
from robot.sim.tasks import TRAINING_TASKS
from vitra_core.config import RobotDemosSettings
from vitra_core.episodes import DatasetMeta
from vitra_core.episodes.reader import read_episode_rows


@pytest.fixture(scope="module")
def demo_rows(tmp_path_factory):
    """Seed 0 of every task, written as the robot_demos dataset (64 px), and read back: task -> (row, columns)."""
    root = tmp_path_factory.mktemp("demos") / "robot_demos"
    build_robot_demos(root, RobotDemosSettings(episodes_per_task=1, image_size_px=64))
    meta = DatasetMeta.load(root)
    return {row["task"]: (row, read_episode_rows(root, meta, row)) for row in meta.episodes.values()}


@pytest.mark.parametrize("task", TRAINING_TASKS)
def test_replaying_the_datasets_actions_open_loop_succeeds_on_every_task(demo_rows, physics_drivers, task):
    """The must-show of issue 14: the `action` column read back from the dataset, mapped to commands and
    sent open loop from the same seed, succeeds and retraces the recorded states."""
    row, columns = demo_rows[task]
    assert row["action_source"] == "commanded" and row["success"]
    settings = RobotDemosSettings()  # the fixture's, whose pushes the replay redoes (reach only)
    pushes = episode_pushes(task, settings.pushes, row["seed"], len(columns["action"]), settings.control_hz)
    replay = replay_open_loop(physics_drivers[task], row["seed"], columns["action"], pushes)
    assert replay.success
    # float32 labels: measured 2e-7 (reach) to 2e-3 (palm_ball, the ball's contacts amplify rounding)
    np.testing.assert_allclose(replay.states, columns["observation.state"][:, :102], atol=1e-2)


@pytest.mark.parametrize("task", TRAINING_TASKS)
def test_each_action_row_maps_back_to_the_command_the_demonstrator_sent(physics_drivers, task):
    record = record_episode(physics_drivers[task], seed=0)
    actions = record_action(record)
    assert np.all(actions[:, :51] == 0) and np.all(actions[:, 102:] == [0.0, 1.0])
    for t, row in enumerate(actions):
        command = action_to_command(row[:102])
        targets = [command.joint_targets_rad[name] for name in record.actuated_joint_names]
        np.testing.assert_allclose(targets, record.action_joint_targets_rad[t], atol=1e-6)
        np.testing.assert_allclose(command.wrist.position_m, record.action_wrist[t, :3], atol=1e-6)
        assert abs(float(command.wrist.quat_wxyz @ record.action_wrist[t, 3:])) == pytest.approx(1.0, abs=1e-6)


def test_the_controller_sends_a_chunk_of_dataset_actions_as_the_demonstrators_commands_at_their_times(
        physics_drivers):
    driver = physics_drivers["table_grasp"]
    record = record_episode(driver, seed=0)
    names = [joint.name for joint in driver.actuated_joints]
    planner = Planner(names, record.instruction, (45.0, 45.0), "scene", policy_hz=record.fps, execute_steps=8,
                      predict_deadline_s=1.0, metrics=ControllerMetrics())
    t = 15  # the fingers are closing on the can: commands lead the observed pose here
    plan = planner.to_plan(record_action(record)[t : t + CHUNK_SIZE, :102], observed_at_s=100.0)
    for i in range(CHUNK_SIZE):
        command = plan.at(100.0 + i / record.fps, record.fps)
        sent = dict(zip(record.actuated_joint_names, record.action_joint_targets_rad[t + i]))
        np.testing.assert_allclose(command.joint_targets_rad, [sent[name] for name in names], atol=1e-6)
        np.testing.assert_allclose(command.wrist_position_m, record.action_wrist[t + i, :3], atol=1e-6)


def test_commanded_labels_lead_the_observed_pose_where_the_fingers_close(physics_drivers):
    record = record_episode(physics_drivers["table_grasp"], seed=0)
    lag = np.abs(record_action(record)[:-1, RIGHT_HAND] - record_state(record)[1:, RIGHT_HAND]).max(axis=0)
    assert lag[COMMANDED_COMPONENTS].max() > 0.5  # measured 0.57 rad (ring2, middle2 flexion) wrapping the can


@pytest.mark.parametrize("task", TRAINING_TASKS)
def test_a_relative_action_imitator_of_the_commanded_labels_succeeds(physics_drivers, task):
    driver = physics_drivers[task]
    record = record_episode(driver, seed=0)
    for execute_steps in (1, 8):
        policy = RelativeLabelImitator(driver, record_state(record), record_action(record))
        assert rollout(policy, driver, seed=0, execute_steps=execute_steps).success, execute_steps


def test_next_observed_state_labels_lose_the_grip_that_commanded_labels_hold(physics_drivers):
    """Measured on seeds 0-4: a relative imitator of next-state labels fails table_grasp 5/5 (k = 1 and 8)
    and palm_ball 5/5 at k = 1; replayed open loop they still succeed, but grip the can with ~1/10 of
    the finger force (0.28 vs 2.85 N m summed over the actuators at the end)."""
    driver = physics_drivers["table_grasp"]
    record = record_episode(driver, seed=0)
    states, commanded = record_state(record), record_action(record)
    for execute_steps in (1, 8):
        assert not rollout(RelativeLabelImitator(driver, states, next_state_labels(states)), driver, seed=0,
                           execute_steps=execute_steps).success, execute_steps
    squeeze = {name: replay_open_loop(driver, 0, labels).actuator_force_nm
               for name, labels in (("commanded", commanded), ("next_state", next_state_labels(states)))}
    assert squeeze["next_state"] < 0.2 * squeeze["commanded"], squeeze

    ball = physics_drivers["palm_ball"]
    record = record_episode(ball, seed=0)
    states = record_state(record)
    assert not rollout(RelativeLabelImitator(ball, states, next_state_labels(states)), ball, seed=0, execute_steps=1).success
