"""The safety filter never lets a command leave the joint, velocity or workspace limits, whatever it is fed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from robot.mapping.shadow import SHADOW_JOINTS
from robot.safety import (
    INVALID_VALUE, JOINT_LIMIT, JOINT_VELOCITY, WATCHDOG, WORKSPACE, WRIST_ROTATION_SPEED, WRIST_SPEED, CommandArrays,
    SafetyFilter, SafetySettings,
)

ACTUATED = [joint for joint in SHADOW_JOINTS if joint.actuated]
LOWER = np.array([joint.lower_rad for joint in ACTUATED])
UPPER = np.array([joint.upper_rad for joint in ACTUATED])
SETTINGS = SafetySettings()
PERIOD_S = 1 / 30
TOLERANCE = 1e-9


def _start() -> CommandArrays:
    """A pose inside every limit: mid-range joints, the wrist in the middle of the box, identity rotation."""
    box_middle = (np.array(SETTINGS.workspace_min_m) + np.array(SETTINGS.workspace_max_m)) / 2
    return CommandArrays((LOWER + UPPER) / 2, box_middle, np.array([1.0, 0.0, 0.0, 0.0]))


def _filter() -> SafetyFilter:
    safety = SafetyFilter(ACTUATED, SETTINGS, PERIOD_S)
    safety.reset(_start())
    return safety


# Anything a broken policy might output: NaN, +-inf, huge, tiny and ordinary numbers.
wild = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e300, 1e9, -1e9, 0.0]),
    st.floats(-5, 5),
)


def _arrays(size: int):
    return st.lists(wild, min_size=size, max_size=size).map(lambda values: np.array(values, dtype=np.float64))


proposals = st.builds(CommandArrays, _arrays(len(ACTUATED)), _arrays(3), _arrays(4))


def _turn_rad(a_wxyz: np.ndarray, b_wxyz: np.ndarray) -> float:
    a, b = (Rotation.from_quat(q, scalar_first=True) for q in (a_wxyz, b_wxyz))
    return float((a.inv() * b).magnitude())


@settings(max_examples=300, deadline=None)
@given(st.lists(proposals, min_size=1, max_size=12))
def test_random_nan_infinite_and_huge_outputs_never_leave_the_limits(sequence):
    safety = _filter()
    previous = safety.hold()
    for step, proposed in enumerate(sequence):
        command = safety.apply(proposed, planned_at_s=float(step), now_s=float(step)).command
        joints, position, quat = command.joint_targets_rad, command.wrist_position_m, command.wrist_quat_wxyz
        assert np.all(np.isfinite(joints)) and np.all(np.isfinite(position)) and np.all(np.isfinite(quat))
        assert np.all(joints >= LOWER) and np.all(joints <= UPPER)
        max_joint_step = SETTINGS.max_joint_velocity_rad_s * PERIOD_S
        assert np.max(np.abs(joints - previous.joint_targets_rad)) <= max_joint_step + TOLERANCE
        assert np.all(position >= np.array(SETTINGS.workspace_min_m) - TOLERANCE)
        assert np.all(position <= np.array(SETTINGS.workspace_max_m) + TOLERANCE)
        assert np.linalg.norm(position - previous.wrist_position_m) <= SETTINGS.max_wrist_speed_m_s * PERIOD_S + TOLERANCE
        assert abs(np.linalg.norm(quat) - 1) < 1e-9
        assert _turn_rad(previous.wrist_quat_wxyz, quat) <= SETTINGS.max_wrist_angular_speed_rad_s * PERIOD_S + 1e-7
        previous = command


def test_a_small_step_inside_every_limit_passes_unchanged():
    safety = _filter()
    start = safety.hold()
    turned = (Rotation.from_quat(start.wrist_quat_wxyz, scalar_first=True) * Rotation.from_rotvec([0.0, 0.05, 0.0]))
    proposed = CommandArrays(start.joint_targets_rad + 0.05, start.wrist_position_m + [0.01, 0.0, 0.0],
                             turned.as_quat(scalar_first=True))
    result = safety.apply(proposed, planned_at_s=0.0, now_s=0.0)
    assert result.interventions == ()
    np.testing.assert_array_equal(result.command.joint_targets_rad, proposed.joint_targets_rad)
    np.testing.assert_array_equal(result.command.wrist_position_m, proposed.wrist_position_m)


@pytest.mark.parametrize("field, index", [("joint_targets_rad", 3), ("wrist_position_m", 1), ("wrist_quat_wxyz", 0)])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_value_anywhere_holds_the_last_command(field, index, bad):
    safety = _filter()
    start = safety.hold()
    values = {name: getattr(start, name).copy() for name in ("joint_targets_rad", "wrist_position_m", "wrist_quat_wxyz")}
    values[field][index] = bad
    result = safety.apply(CommandArrays(**values), planned_at_s=0.0, now_s=0.0)
    assert result.interventions == (INVALID_VALUE,)
    assert result.command is start


def test_huge_targets_are_clipped_to_the_joint_limits_and_approached_at_the_velocity_limit():
    safety = _filter()
    start = safety.hold()
    proposed = CommandArrays(np.full(len(ACTUATED), 1e12), start.wrist_position_m + [10.0, 0, 0], start.wrist_quat_wxyz)
    result = safety.apply(proposed, planned_at_s=0.0, now_s=0.0)
    assert set(result.interventions) == {JOINT_LIMIT, JOINT_VELOCITY, WORKSPACE, WRIST_SPEED}
    np.testing.assert_allclose(result.command.joint_targets_rad,
                               np.minimum(start.joint_targets_rad + SETTINGS.max_joint_velocity_rad_s * PERIOD_S, UPPER))
    max_wrist_step_m = SETTINGS.max_wrist_speed_m_s * PERIOD_S
    assert result.command.wrist_position_m[0] == pytest.approx(start.wrist_position_m[0] + max_wrist_step_m)
    for _ in range(200):  # held long enough, the clipped target is reached and kept
        result = safety.apply(proposed, planned_at_s=0.0, now_s=0.0)
    np.testing.assert_array_equal(result.command.joint_targets_rad, UPPER)
    assert result.command.wrist_position_m[0] == SETTINGS.workspace_max_m[0]


def test_a_fast_wrist_turn_is_slowed_to_the_angular_speed_limit():
    safety = _filter()
    start = safety.hold()
    half_turn = Rotation.from_rotvec([0.0, 0.0, 3.0]).as_quat(scalar_first=True)
    result = safety.apply(CommandArrays(start.joint_targets_rad, start.wrist_position_m, half_turn), 0.0, 0.0)
    assert result.interventions == (WRIST_ROTATION_SPEED,)
    assert _turn_rad(start.wrist_quat_wxyz, result.command.wrist_quat_wxyz) == pytest.approx(
        SETTINGS.max_wrist_angular_speed_rad_s * PERIOD_S)


def test_the_watchdog_holds_when_the_action_is_older_than_the_timeout():
    safety = _filter()
    start = safety.hold()
    moved = CommandArrays(start.joint_targets_rad + 0.01, start.wrist_position_m, start.wrist_quat_wxyz)
    timeout_s = SETTINGS.watchdog_timeout_s
    assert safety.apply(moved, planned_at_s=10.0, now_s=10.0 + timeout_s / 2).interventions == ()
    stale = safety.apply(moved, planned_at_s=10.0, now_s=10.0 + timeout_s * 1.01)
    assert stale.interventions == (WATCHDOG,)
    np.testing.assert_array_equal(stale.command.joint_targets_rad, moved.joint_targets_rad)  # the last safe command
    assert safety.apply(None, planned_at_s=10.0, now_s=10.0 + timeout_s * 1.01).interventions == (WATCHDOG,)
    waiting = safety.apply(None, planned_at_s=10.0, now_s=10.1)  # no plan yet, within the timeout: a quiet hold
    assert waiting.interventions == () and waiting.command is stale.command


def test_an_empty_workspace_box_is_a_configuration_error():
    with pytest.raises(ValueError, match="workspace_min_m"):
        SafetySettings(workspace_min_m=(0.0, 0.0, 1.0), workspace_max_m=(1.0, 1.0, 0.5))
