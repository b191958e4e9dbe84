"""A real controller started on an empty or malformed store pointer (store/active.json): it serves, the loop
holds the hand, /health says why, and the next deploy brings it back to ok."""

from __future__ import annotations

import pytest

from .process import controller_process, write_config
from .test_controller_service import wait_for


@pytest.mark.slow
@pytest.mark.parametrize("pointer", [b"", b'{"schema_version": 1, "history": [', b"\xff\xfe"], ids=["empty", "truncated", "binary"])
def test_an_unreadable_store_pointer_gives_a_degraded_but_holding_controller(keys, bundles, tmp_path, pointer):
    config = write_config(tmp_path, keys.public)
    store = tmp_path / "store"
    store.mkdir()
    (store / "active.json").write_bytes(pointer)
    process = controller_process(config, token="t0ken")
    try:
        client = process.start(accept_degraded=True).client()
        health = client.health()
        assert health["status"] == "degraded" and health["active_bundle"] is None
        assert any("active.json" in p and "holding until a deploy" in p for p in health["problems"]), health
        before = health["loop_ticks"]
        assert wait_for(lambda: client.health()["loop_ticks"] > before + 10)  # the loop holds the hand
        [aside] = store.glob("active.json.unreadable-*")
        assert aside.read_bytes() == pointer  # kept for inspection

        bundle_id = client.deploy(bundles[0])["bundle_id"]
        assert client.policy()["bundle_id"] == bundle_id
    finally:
        process.stop()
    restarted = controller_process(config, token="t0ken")
    try:
        health = restarted.start().client().health()
        assert health["active_bundle"] == bundle_id and health["problems"] == []
    finally:
        restarted.stop()
