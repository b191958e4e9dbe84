"""Chunk rows are executed on the policy's clock (latency skipped, rows interpolated); configs fail clearly."""

from pathlib import Path

import numpy as np
import pytest

from robot.controller.config import ControllerConfig, load_controller_config
from robot.controller.deployer import check_compatibility
from robot.controller.planner import Plan
from robot.bundle import BundleRejected
from robot.safety import CommandArrays
from vitra_core.errors import ConfigError
from vitra_core.model import PolicySpec

REPO_ROOT = Path(__file__).resolve().parents[3]


def _row(value: float) -> CommandArrays:
    return CommandArrays(np.full(20, value), np.array([value, 0.0, 0.5]), np.array([1.0, 0.0, 0.0, 0.0]))


def test_plan_rows_are_timed_from_the_observation_and_interpolated():
    plan = Plan(observed_at_s=100.0, commands=[_row(0.0), _row(1.0), _row(2.0)])
    policy_hz = 10.0
    np.testing.assert_allclose(plan.at(100.0, policy_hz).joint_targets_rad, 0.0)
    np.testing.assert_allclose(plan.at(100.15, policy_hz).joint_targets_rad, 1.5)  # 0.15 s late: row 1.5
    np.testing.assert_allclose(plan.at(100.15, policy_hz).wrist_position_m, [1.5, 0.0, 0.5])
    np.testing.assert_allclose(plan.at(100.2, policy_hz).joint_targets_rad, 2.0)
    assert plan.at(100.25, policy_hz) is None  # past the last row: nothing to execute, the watchdog decides


def test_the_interpolated_wrist_quaternion_takes_the_short_arc_and_stays_unit():
    a = _row(0.0)
    b = CommandArrays(a.joint_targets_rad, a.wrist_position_m, -np.array([np.cos(0.1), 0.0, 0.0, np.sin(0.1)]))
    middle = Plan(0.0, [a, b]).at(0.05, 10.0).wrist_quat_wxyz
    assert np.linalg.norm(middle) == pytest.approx(1.0)
    assert abs(middle[0]) > 0.99  # halfway along 0.2 rad, not along the 2 pi - 0.2 rad long way


@pytest.mark.parametrize("change, message", [
    ({"action_dim": 51}, "action_dim is 51"),
    ({"state_dim": 104}, "state_dim is 104"),
    ({"mask_dim": 1}, "mask_dim is 1"),
    ({"chunk_size": 2}, "shorter than the controller's execute_steps 4"),
])
def test_a_spec_the_adapter_cannot_drive_is_incompatible(change, message):
    check_compatibility(PolicySpec(image_size=32), execute_steps=4)
    with pytest.raises(BundleRejected, match=message) as caught:
        check_compatibility(PolicySpec(image_size=32, **change), execute_steps=4)
    assert caught.value.check == "compatibility"


def test_the_shipped_controller_config_validates():
    config = load_controller_config(REPO_ROOT / "configs" / "robot" / "controller.yaml")
    assert config.loop.rate_hz == 30 and config.driver.task == "palm_ball"
    assert config.resolve(config.deploy.store_dir) == REPO_ROOT / ".vitra" / "controller"


@pytest.mark.parametrize("text, message", [
    ("loop: {rate_hz: -1}", "loop.rate_hz"),
    ("deploy: {keep_bundles: 3, surprise: 1}", "deploy.surprise"),
    ("safety: {watchdog_timeout_s: 0.2}", "must exceed the re-plan interval"),
    ("[1, 2]", "top level must be a mapping"),
])
def test_a_bad_controller_config_names_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "controller.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_controller_config(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("watchdog_s, smoke_s, bound_s, budget_s", [
    (1.0, 2.0, 0.5, 0.5),  # the shipped config: two latencies must fit the watchdog, so 0.5 s, not the 2 s asked
    (0.6, 2.0, 0.2, 0.2),  # a short watchdog: a plan asked 0.4 s after the last must land within 0.2 s
    (4.0, 1.0, 2.0, 1.0),  # a long watchdog: the configured budget is the tighter one
])
def test_the_smoke_budget_is_bounded_by_what_the_watchdog_lets_a_plan_take(watchdog_s, smoke_s, bound_s, budget_s):
    config = ControllerConfig(safety={"watchdog_timeout_s": watchdog_s}, deploy={"smoke_latency_budget_s": smoke_s})
    assert config.replan_s == pytest.approx(0.4)
    assert config.max_policy_latency_s == pytest.approx(bound_s)
    assert config.smoke_budget_s == pytest.approx(budget_s)


def test_a_controller_without_token_or_keys_says_how_to_make_them(tmp_path):
    from robot.controller.service import Controller, read_token

    config_path = tmp_path / "controller.yaml"
    config_path.write_text("deploy: {trusted_keys: [keys/bundle_signing_key.pub.pem]}\n")
    config = load_controller_config(config_path)
    with pytest.raises(ConfigError, match=r"VITRA_CONTROLLER_TOKEN=\$\(openssl rand -hex 16\) vitra controller serve"):
        read_token(config, {})
    with pytest.raises(ConfigError, match=f"vitra bundle keygen --out-dir {tmp_path / 'keys'}"):
        Controller(config, token="t")
