"""A real controller process with the simulated hand: deploys go live, every bad bundle is refused while the
old policy keeps driving the hand, and rollback returns to the previous bundle."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from robot.bundle.archive import read_archive
from robot.bundle.manifest import MANIFEST_NAME, SIGNATURE_NAME
from robot.bundle.signing import sign
from robot.deploy_client import ControllerError
from robot.mapping.shadow import SHADOW_JOINTS
from robot.safety import SafetySettings

from .process import controller_process, write_config
from .test_bundle import resigned, tar_bytes

MAX_BUNDLE_BYTES = 1_000_000


@pytest.fixture(scope="module")
def controller(keys, tmp_path_factory):
    folder = tmp_path_factory.mktemp("controller")
    process = controller_process(write_config(folder, keys.public), token="s3cret-token")
    try:
        yield process.start()
    finally:
        process.stop()


@pytest.fixture
def active_a(controller, bundles) -> str:
    """Policy a active at the start of the test; its bundle id."""
    return controller.client().deploy(bundles[0])["bundle_id"]


def metrics(controller) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, from GET /metrics."""
    samples = {}
    for family in text_string_to_metric_families(controller.client().metrics()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def ticks(controller) -> float:
    return metrics(controller)[("vitra_controller_loop_ticks_total", ())]


def wait_for(predicate, timeout_s: float = 30.0, poll_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"condition not met within {timeout_s} s")


def test_without_a_policy_the_loop_holds_the_start_pose(controller):
    commanded, observed = controller.started_state["command"], controller.started_state["observation"]
    for name, target in commanded["joint_targets_rad"].items():
        assert abs(target - observed["joint_positions_rad"][name]) < 0.05  # the start pose, clipped into limits
    np.testing.assert_allclose(commanded["wrist_position_m"], observed["wrist_position_m"], atol=1e-9)
    health = controller.client().health()
    assert health["status"] == "ok" and health["task"] == "palm_ball"
    before = health["loop_ticks"]  # and the loop keeps ticking
    assert wait_for(lambda: controller.client().health()["loop_ticks"] > before + 10)


def test_a_good_deploy_goes_live_and_its_commands_reach_the_simulated_hand(controller, bundles):
    client = controller.client()
    before = metrics(controller)
    start = controller.started_state  # the hold before any policy
    bundle_id = client.deploy(bundles[0])["bundle_id"]
    policy = client.policy()
    assert policy["bundle_id"] == bundle_id and policy["history"][0] == bundle_id
    assert policy["manifest"]["lineage"]["model_version"] == "1"
    assert policy["manifest"]["spec"]["action_dim"] == 102
    assert policy["manifest"]["lineage"]["extra"] == {"source_videos": ["3c0dffd0aa11bb22"]}
    wait_for(lambda: metrics(controller)[("vitra_controller_policy_latency_seconds_count", ())]
             >= before[("vitra_controller_policy_latency_seconds_count", ())] + 3)
    after = metrics(controller)
    assert after[("vitra_controller_deploys_total", ())] == before[("vitra_controller_deploys_total", ())] + 1
    assert after[("vitra_controller_policy_active", ())] == 1

    def wrist_reached_its_command():
        state = client.state()
        gap_m = np.linalg.norm(np.subtract(state["command"]["wrist_position_m"], state["observation"]["wrist_position_m"]))
        return state if gap_m < 0.005 else None

    state = wait_for(wrist_reached_its_command)  # the simulated hand follows the filtered commands
    assert state["observation"]["timestamp_s"] > start["observation"]["timestamp_s"]  # the sim advanced under the loop
    moved_m = np.linalg.norm(np.subtract(state["command"]["wrist_position_m"], start["command"]["wrist_position_m"]))
    assert moved_m > 0.01  # ... to where the policy sent it, not the start pose
    box_min, box_max = SafetySettings().workspace_min_m, SafetySettings().workspace_max_m
    assert np.all(np.array(state["command"]["wrist_position_m"]) >= box_min)
    assert np.all(np.array(state["command"]["wrist_position_m"]) <= box_max)
    limits = {j.name: j for j in SHADOW_JOINTS}
    for name, target in state["command"]["joint_targets_rad"].items():
        assert limits[name].lower_rad <= target <= limits[name].upper_rad


def _tampered(members: dict[str, bytes], keys, other_keys) -> bytes:
    weights = bytearray(members["policy/model.safetensors"])
    weights[len(weights) // 2] ^= 0x01
    return tar_bytes({**members, "policy/model.safetensors": bytes(weights)})


def _wrong_signature(members, keys, other_keys) -> bytes:
    return tar_bytes({**members, SIGNATURE_NAME: sign(members[MANIFEST_NAME], other_keys.private_key())})


def _wrong_action_dims(members, keys, other_keys) -> bytes:
    manifest = json.loads(members[MANIFEST_NAME])
    manifest["spec"]["action_dim"] = 51  # one hand's worth: a policy for another embodiment, properly signed
    return tar_bytes(resigned(members, json.dumps(manifest).encode(), keys.private_key()))


def _oversize(members, keys, other_keys) -> bytes:
    return tar_bytes(members) + bytes(MAX_BUNDLE_BYTES)  # a valid tar, padded past the limit


def _escaping_path(members, keys, other_keys) -> bytes:
    return tar_bytes({**members, "policy/../../../escape.sh": b"#!/bin/sh\n"})


def _malformed_manifest(members, keys, other_keys) -> bytes:
    return tar_bytes(resigned(members, members[MANIFEST_NAME][:-20], keys.private_key()))


@pytest.mark.parametrize("make, status, check, message", [
    (_tampered, 422, "hashes", "policy/model.safetensors has SHA-256"),
    (_wrong_signature, 422, "signature", "not a signature of manifest.json by any of the 1 trusted key"),
    (_wrong_action_dims, 422, "compatibility", "action_dim is 51"),
    (_oversize, 413, "size", "more than the limit"),
    (_escaping_path, 422, "paths", "escapes the bundle folder"),
    (_malformed_manifest, 422, "schema", "not valid JSON"),
], ids=["tampered-weights", "wrong-signature", "wrong-action-dims", "oversize", "escaping-path", "malformed-manifest"])
def test_a_bad_bundle_is_refused_and_the_old_policy_keeps_driving(controller, active_a, bundles, keys, other_keys,
                                                                  tmp_path, make, status, check, message):
    before = metrics(controller)
    bad = tmp_path / "bad.tar"
    bad.write_bytes(make(read_archive(bundles[1].read_bytes(), MAX_BUNDLE_BYTES), keys, other_keys))
    with pytest.raises(ControllerError) as caught:
        controller.client().deploy(bad)
    assert (caught.value.status, caught.value.check) == (status, check)
    assert message in caught.value.error
    assert controller.client().policy()["bundle_id"] == active_a
    wait_for(lambda: ticks(controller) > before[("vitra_controller_loop_ticks_total", ())] + 15)  # still ticking
    after = metrics(controller)
    refusals = ("vitra_controller_deploy_refusals_total", (("check", check),))
    assert after[refusals] == before.get(refusals, 0) + 1
    assert after[("vitra_controller_policy_active", ())] == 1
    assert controller.client().health()["status"] == "ok"


@pytest.mark.parametrize("token, status, message", [(None, 401, "missing"), ("not-the-token", 403, "not the controller's")])
def test_deploy_and_rollback_need_the_right_token(controller, active_a, bundles, token, status, message):
    for call in (lambda c: c.deploy(bundles[1]), lambda c: c.rollback()):
        with pytest.raises(ControllerError) as caught:
            call(controller.client(token))
        assert (caught.value.status, caught.value.check) == (status, "auth")
        assert message in caught.value.error
    assert controller.client().policy()["bundle_id"] == active_a


def test_rollback_restores_the_previous_bundle(controller, active_a, bundles):
    client = controller.client()
    b = client.deploy(bundles[1])
    assert b["bundle_id"] != active_a and b["history"][:2] == [b["bundle_id"], active_a]
    rolled = client.rollback()
    assert rolled["bundle_id"] == active_a and rolled["manifest"]["lineage"]["model_version"] == "1"
    assert b["bundle_id"] not in rolled["history"]
    while len(client.policy()["history"]) > 1:
        client.rollback()
    with pytest.raises(ControllerError) as caught:
        client.rollback()
    assert (caught.value.status, caught.value.check) == (409, "rollback")
    assert metrics(controller)[("vitra_controller_rollbacks_total", ())] >= 1
