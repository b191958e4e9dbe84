"""The controller's bundle store read without the service running: the active bundle as `GET /policy`
would report it, verified against the trusted keys (so `vitra lineage` works with the controller down)."""

from __future__ import annotations

from typing import Any

from robot.bundle import BundleStore, load_trusted_keys, verify_members
from robot.controller.config import ControllerConfig


def stored_policy(config: ControllerConfig) -> dict[str, Any]:
    """{"bundle_id", "key_id", "manifest", "history"} of the store's active bundle (all None when it holds none).
    Raises BundleRejected or BundleStoreError if the kept bundle no longer verifies."""
    deploy = config.deploy
    store = BundleStore(config.resolve(deploy.store_dir), deploy.keep_bundles)
    bundle_id = store.active_id
    if bundle_id is None:
        return {"bundle_id": None, "key_id": None, "manifest": None, "history": []}
    verified = verify_members(store.read_members(bundle_id),
                              load_trusted_keys([config.resolve(path) for path in deploy.trusted_keys]))
    return {"bundle_id": verified.bundle_id, "key_id": verified.key_id,
            "manifest": verified.manifest.model_dump(mode="json"), "history": store.history}
