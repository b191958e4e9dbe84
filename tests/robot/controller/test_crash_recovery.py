"""SIGKILL a real controller in the middle of a deploy: restarted, it runs exactly one verified bundle."""

from __future__ import annotations

import threading
import time

import pytest

from robot.bundle import BundleStore, verify_archive, verify_members
from robot.deploy_client import ControllerError

from robot.controller.process import ControllerProcess

from .process import controller_process, write_config


def _kill_during_deploy(process: ControllerProcess, bundle, store: BundleStore, moment) -> None:
    """Start deploying `bundle` and SIGKILL the controller as soon as `moment(store)` holds."""
    errors: list[Exception] = []

    def deploy() -> None:
        try:
            process.client().deploy(bundle)
        except ControllerError as exc:  # the connection dies with the process
            errors.append(exc)

    uploader = threading.Thread(target=deploy)
    uploader.start()
    deadline = time.monotonic() + 60
    while not moment(store) and uploader.is_alive() and time.monotonic() < deadline:
        time.sleep(0.001)
    process.kill()
    uploader.join(timeout=30)


def _staging(store: BundleStore) -> bool:
    return store.staging_dir.is_dir() and any(store.staging_dir.iterdir())


def _renamed_into_place(new_id: str):
    return lambda store: store.path(new_id).exists()


@pytest.mark.slow
def test_killed_mid_deploy_the_restarted_controller_runs_one_consistent_bundle(keys, bundles, tmp_path):
    config = write_config(tmp_path, keys.public)
    store = BundleStore(tmp_path / "store", keep=3)
    new_id = verify_archive(bundles[1].read_bytes(), keys.trusted, 10_000_000).bundle_id
    process = controller_process(config, token="t0ken")
    try:
        old_id = process.start().client().deploy(bundles[0])["bundle_id"]
        for moment in (_staging, _renamed_into_place(new_id)):
            _kill_during_deploy(process, bundles[1], store, moment)
            process = controller_process(config, token="t0ken").start()
            policy = process.client().policy()
            assert policy["bundle_id"] in {old_id, new_id}
            assert policy["history"] == store.history and policy["bundle_id"] == store.history[0]
            assert sorted(p.name for p in store.bundles_dir.iterdir()) == sorted(store.history)
            assert not store.staging_dir.exists()
            for kept in store.history:
                verify_members(store.read_members(kept), keys.trusted)
            health = process.client().health()
            assert health["status"] == "ok" and health["active_bundle"] == policy["bundle_id"]
            if policy["bundle_id"] == new_id:  # the deploy had got through: back to the old one for the next round
                assert process.client().rollback()["bundle_id"] == old_id
    finally:
        process.stop()
