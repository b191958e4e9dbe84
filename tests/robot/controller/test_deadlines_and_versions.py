"""A real controller process with slow, hanging and older policies (issue 18): the smoke budget is a deadline
bounded by the watchdog, a hung predict() never keeps a good policy from planning, and a validly signed bundle
older than the active one is refused unless rolled back to or forced.

The policies are real signed bundles of tiny VLA policies; `slow_policies` runs the controller CLI with their
predict() slowed as their normaliser's `source` says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from robot.bundle import build_bundle
from robot.deploy_client import ControllerError
from vitra_core.model import Normaliser, VLAConfig, VLAPolicy

from .conftest import NORMALISER, lineage
from .process import controller_process, write_config
from .test_controller_service import metrics, wait_for

pytestmark = pytest.mark.slow

# 4x the controller's default: the smoke bound becomes 2 s, so a tiny policy's first predict() on a loaded
# 2-core CI machine passes it (at 1 s, 0.5 s was missed once), while a 13 s or hung predict() still is not
WATCHDOG_S = 4.0
CONFIGURED_SMOKE_BUDGET_S = 10.0  # tests/robot/controller/process.py: generous, so the watchdog bound decides


@pytest.fixture(scope="module")
def predict_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("predict_log") / "returned.txt"


@pytest.fixture(scope="module")
def controller(keys, predict_log, tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow_controller")
    config = write_config(folder, keys.public, safety={"watchdog_timeout_s": WATCHDOG_S})
    process = controller_process(config, token="t0ken", module="tests.robot.controller.slow_policies")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VITRA_TEST_PREDICT_LOG", str(predict_log))
        try:
            yield process.start()
        finally:
            process.stop()


def signed_bundle(folder: Path, keys, source: str, version: str) -> Path:
    """A freshly built (so newest) signed bundle of a tiny policy whose normaliser source is `source`."""
    torch.manual_seed(0)
    normaliser = Normaliser(**{**NORMALISER.model_dump(), "source": source})
    VLAPolicy.create(VLAConfig.preset("tiny"), normaliser).save(folder / "policy")
    return build_bundle(folder / "policy", lineage(version), keys.private_key(), folder / "bundle.tar")


def counter(controller, name: str, labels: tuple = ()) -> float:
    return metrics(controller).get((name, labels), 0.0)


def returned(predict_log: Path) -> list[str]:
    return predict_log.read_text().split() if predict_log.exists() else []


def test_an_older_bundle_is_refused_unless_rolled_back_to_or_forced(controller, bundles):
    client = controller.client()
    a, b = bundles  # a built before b
    a_id = client.deploy(a)["bundle_id"]
    b_id = client.deploy(b)["bundle_id"]
    refusals = ("vitra_controller_deploy_refusals_total", (("check", "version"),))
    before = counter(controller, *refusals)
    with pytest.raises(ControllerError) as caught:
        client.deploy(a)
    assert (caught.value.status, caught.value.check) == (409, "version")
    assert "before the active one" in caught.value.error and "vitra-policy 1" in caught.value.error
    assert "vitra-policy 2" in caught.value.error and "deploy with force" in caught.value.error
    assert client.policy()["bundle_id"] == b_id
    assert counter(controller, *refusals) == before + 1

    assert client.rollback()["bundle_id"] == a_id  # going back on purpose: rollback
    assert client.deploy(a)["bundle_id"] == a_id  # the active bundle again is not older than itself
    client.deploy(b)
    assert client.deploy(a, force=True)["bundle_id"] == a_id  # ... or a forced deploy
    assert client.health()["status"] == "ok"


def test_a_13_s_smoke_inference_is_refused_at_the_watchdog_bound_without_holding_the_deploy_lock(
        controller, bundles, keys, predict_log, tmp_path):
    client = controller.client()
    slow = signed_bundle(tmp_path / "slow", keys, "tests:sleep=13", "13s")
    good = signed_bundle(tmp_path / "good", keys, "tests:fast", "after-13s")
    active = client.policy()["bundle_id"]
    with pytest.raises(ControllerError) as caught:
        client.deploy(slow)
    assert (caught.value.status, caught.value.check) == (422, "smoke")
    # the configured 10 s budget is bounded by the watchdog: min(4.0 - 0.4, 4.0 / 2) = 2 s
    assert "did not answer within 2 s" in caught.value.error and "bounded by the watchdog" in caught.value.error
    assert client.policy()["bundle_id"] == active
    good_id = client.deploy(good)["bundle_id"]  # the lock is free: another deploy goes through ...
    assert client.rollback()["bundle_id"] == active  # ... and a rollback
    assert good_id != active
    assert "tests:sleep=13" not in returned(predict_log)  # all while the 13 s predict() is still asleep


def test_a_hung_policy_is_held_and_a_good_policy_swapped_in_afterwards_plans(controller, keys, tmp_path):
    client = controller.client()
    hung = signed_bundle(tmp_path / "hung", keys, "tests:hang_after=1", "hangs")  # answers the smoke test only
    timeouts_before = counter(controller, "vitra_controller_policy_timeouts_total")
    client.deploy(hung)

    def held():
        health = client.health()
        return health if any("watchdog is holding the hand" in p for p in health["problems"]) else None

    health = wait_for(held)
    assert health["status"] == "degraded"
    wait_for(lambda: counter(controller, "vitra_controller_policy_timeouts_total") > timeouts_before)
    first = client.state()["command"]
    ticks = health["loop_ticks"]
    wait_for(lambda: client.health()["loop_ticks"] > ticks + 10)
    assert client.state()["command"] == first  # held: the same safe command, tick after tick

    good = signed_bundle(tmp_path / "good", keys, "tests:fast", "after-hang")
    latency = ("vitra_controller_policy_latency_seconds_count", ())
    planned_before = counter(controller, *latency)
    client.deploy(good)
    wait_for(lambda: counter(controller, *latency) >= planned_before + 3)  # the good policy plans
    wait_for(lambda: client.health()["status"] == "ok")

    wait_for(lambda: not np.allclose(client.state()["command"]["wrist_position_m"], first["wrist_position_m"]))
