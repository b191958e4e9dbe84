"""Deploy, roll back and restore policy bundles: every check first, then one atomic swap.

Deploy order: size, paths, signature, hashes, schema (`robot.bundle.verify_archive`), compatibility
with this hand, not older than the active bundle (unless forced), smoke inference on a live observation
within the latency budget; only then is the bundle committed to the store (the persisted pointer) and
handed to the planner. Any failure raises `BundleRejected` and leaves the running policy, the store and
the pointer as they were.

The smoke budget is a deadline: predict() runs on a thread of its own and is abandoned (left to finish
alone, its answer dropped) when the budget passes, so a slow policy never holds the deploy lock, nor a
rollback waiting behind it, longer than the budget.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from robot.bundle import BundleManifest, BundleRejected, BundleStore, VerifiedBundle, verify_archive, verify_members
from robot.bundle.manifest import POLICY_DIR
from robot.bundle.store import BundleStoreError
from robot.controller.config import DeploySettings
from robot.controller.loop import ControlLoop
from robot.controller.metrics import ControllerMetrics
from robot.controller.planner import Planner
from robot.policy_adapter import STATE_MASK
from vitra_core.episodes.state_layout import ACTION_DIM
from vitra_core.model import PolicySpec, VLAPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")

COMPATIBILITY_CHECK = "compatibility"
SMOKE_CHECK = "smoke"
ROLLBACK_CHECK = "rollback"
VERSION_CHECK = "version"
# What the policy adapter (C2) feeds and reads: both hands' 51-number states, a two-hand mask, fov in degrees.
ADAPTER_SPEC = {"state_dim": ACTION_DIM, "mask_dim": len(STATE_MASK), "action_dim": ACTION_DIM,
                "action_space": "human_hands_2x51", "fov_units": "deg"}
_OBSERVATION_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ActiveBundle:
    bundle_id: str
    manifest: BundleManifest
    key_id: str
    policy: VLAPolicy


def check_compatibility(spec: PolicySpec, execute_steps: int) -> None:
    """Raise BundleRejected("compatibility") unless the adapter can drive this hand with a policy of `spec`."""
    for field, needed in ADAPTER_SPEC.items():
        if getattr(spec, field) != needed:
            raise BundleRejected(COMPATIBILITY_CHECK, f"policy {field} is {getattr(spec, field)!r}; this hand's "
                                                      f"adapter needs {needed!r}")
    if spec.chunk_size < execute_steps:
        raise BundleRejected(COMPATIBILITY_CHECK, f"policy chunk_size {spec.chunk_size} is shorter than the "
                                                  f"controller's execute_steps {execute_steps}")


def check_not_older(new: BundleManifest, active: BundleManifest) -> None:
    """Raise BundleRejected("version") if `new` was built before `active` (anti-rollback: an old bundle stays
    validly signed forever, so replaying it must not silently undo a newer one). The order is the signed
    `created_at`; model versions are free-form names and are only shown. Going back is what POST /rollback
    or a forced deploy is for."""
    if new.created_at < active.created_at:
        raise BundleRejected(VERSION_CHECK, f"the bundle was built {new.created_at.isoformat()} "
                                            f"({new.lineage.model_name} {new.lineage.model_version}), before the active "
                                            f"one ({active.created_at.isoformat()}, {active.lineage.model_name} "
                                            f"{active.lineage.model_version}); roll back, or deploy with force to go back")


def _in_daemon_thread(call: Callable[[], T], name: str) -> Future[T]:
    """`call()` on a daemon thread of its own: a caller may stop waiting for it, and a hung call never keeps
    the process from exiting."""
    answer: Future[T] = Future()

    def run() -> None:
        try:
            answer.set_result(call())
        except BaseException as exc:  # handed to the waiter, if it still waits
            answer.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return answer


class Deployer:
    """Owns the store and the active bundle; one deploy or rollback at a time."""

    def __init__(self, store: BundleStore, trusted_keys: Mapping[str, Ed25519PublicKey], settings: DeploySettings,
                 planner: Planner, loop: ControlLoop, metrics: ControllerMetrics, execute_steps: int,
                 smoke_budget_s: float):
        self.store = store
        self.trusted_keys = dict(trusted_keys)
        self.settings = settings
        self.planner = planner
        self.loop = loop
        self.metrics = metrics
        self.execute_steps = execute_steps
        self.smoke_budget_s = smoke_budget_s
        self.active: ActiveBundle | None = None
        self.restore_error: str | None = None
        self._lock = threading.Lock()

    def restore(self) -> None:
        """At start-up: clean the store after a crash and bring back the active bundle, verified again.

        A kept bundle that no longer verifies or loads is not run, nor is anything when active.json itself
        is unreadable (it is set aside, kept bundles are left in place); the hand holds and /health says why.
        """
        try:
            self.store.recover()
            bundle_id = self.store.active_id
        except BundleStoreError as exc:  # empty or malformed active.json: hold the hand, wait for a deploy
            aside = self.store.set_aside_pointer()
            self.restore_error = f"no bundle restored: {exc}; set aside as {aside.name}, holding until a deploy"
            log.error(self.restore_error)
            return
        if bundle_id is None:
            return
        try:
            self._activate(*self._load_kept(bundle_id))
            log.info("restored active bundle %s", bundle_id)
        except (BundleRejected, BundleStoreError) as exc:
            self.restore_error = f"active bundle {bundle_id} not restored: {exc}"
            log.error(self.restore_error)

    def deploy(self, data: bytes, force: bool = False) -> ActiveBundle:
        """Check the bundle archive `data` in order, then commit and swap it in; raise BundleRejected otherwise.
        `force` deploys a bundle older than the active one."""
        with self._lock:
            try:
                verified = verify_archive(data, self.trusted_keys, self.settings.max_bundle_bytes)
                check_compatibility(verified.manifest.spec, self.execute_steps)
                if self.active is not None and not force:
                    check_not_older(verified.manifest, self.active.manifest)
                staged = self.store.stage(verified.members)
                try:
                    policy = self._load(staged / POLICY_DIR, verified.manifest.spec)
                    smoke_s = self._smoke(policy)
                    self.store.commit(staged, verified.bundle_id)
                except BaseException:
                    self.store.discard(staged)
                    raise
            except BundleRejected as exc:
                self.metrics.refusals.labels(exc.check).inc()
                log.warning("deploy refused: %s", exc)
                raise
            active = self._activate(verified, policy)
            self.metrics.deploys.inc()
            log.info("deployed bundle %s (%s %s, signed by %s; smoke inference %.3f s)", active.bundle_id,
                     active.manifest.lineage.model_name, active.manifest.lineage.model_version, active.key_id, smoke_s)
            return active

    def rollback(self) -> ActiveBundle:
        """Back to the previous kept bundle (verified and loaded again); the current one is forgotten."""
        with self._lock:
            try:
                history = self.store.history
                if len(history) < 2:
                    raise BundleRejected(ROLLBACK_CHECK,
                                         f"no previous bundle to roll back to (history: {history or 'empty'})")
                verified, policy = self._load_kept(history[1])
                self.store.roll_back()
            except BundleRejected as exc:
                self.metrics.refusals.labels(exc.check).inc()
                raise
            active = self._activate(verified, policy)
            self.metrics.rollbacks.inc()
            log.info("rolled back to bundle %s", active.bundle_id)
            return active

    def _load_kept(self, bundle_id: str) -> tuple[VerifiedBundle, VLAPolicy]:
        try:
            members = self.store.read_members(bundle_id)
        except BundleStoreError as exc:
            raise BundleRejected(ROLLBACK_CHECK, str(exc)) from exc
        verified = verify_members(members, self.trusted_keys)
        check_compatibility(verified.manifest.spec, self.execute_steps)
        return verified, self._load(self.store.path(bundle_id) / POLICY_DIR, verified.manifest.spec)

    def _load(self, directory: Path, spec: PolicySpec) -> VLAPolicy:
        """The policy in `directory`; its own spec must be the manifest's (a manifest cannot lie about it)."""
        try:
            policy = VLAPolicy.load(directory)
        except Exception as exc:  # any way a policy fails to load is a refusal, never a crash of the controller
            raise BundleRejected(SMOKE_CHECK, f"the policy does not load: {type(exc).__name__}: {exc}") from exc
        if policy.spec != spec:
            raise BundleRejected(COMPATIBILITY_CHECK,
                                 f"the manifest's spec ({spec}) is not the loaded policy's ({policy.spec})")
        return policy

    def _smoke(self, policy: VLAPolicy) -> float:
        """One predict() on a live observation: a finite chunk of the spec's length, mappable to commands,
        within the smoke budget (a deadline); returns its latency in seconds."""
        try:
            observation = self.loop.request_observation().result(timeout=_OBSERVATION_TIMEOUT_S)
        except FutureTimeout as exc:
            raise BundleRejected(SMOKE_CHECK, f"no observation from the hand within {_OBSERVATION_TIMEOUT_S} s "
                                              f"(control loop: {self.loop.error or 'not ticking'})") from exc
        inputs = self.planner.to_inputs(observation)
        started = time.perf_counter()
        answer = _in_daemon_thread(lambda: inputs.predict(policy), "smoke-inference")
        if not wait([answer], timeout=self.smoke_budget_s).done:
            raise BundleRejected(SMOKE_CHECK, f"smoke inference did not answer within {self.smoke_budget_s:.3g} s "
                                              f"(deploy.smoke_latency_budget_s {self.settings.smoke_latency_budget_s:g} s, "
                                              f"bounded by the watchdog: a slower policy's plans would only be held); "
                                              f"abandoned")
        try:
            chunk = answer.result()
            self.planner.to_plan(chunk, 0.0)
            if len(chunk) != policy.spec.chunk_size:
                raise ValueError(f"predict() returned {len(chunk)} rows, the spec's chunk_size is {policy.spec.chunk_size}")
        except Exception as exc:  # the smoke test exists to catch whatever a new policy does wrong
            raise BundleRejected(SMOKE_CHECK, f"smoke inference failed: {type(exc).__name__}: {exc}") from exc
        return time.perf_counter() - started

    def _activate(self, verified: VerifiedBundle, policy: VLAPolicy) -> ActiveBundle:
        self.active = ActiveBundle(verified.bundle_id, verified.manifest, verified.key_id, policy)
        self.planner.set_policy(policy)
        self.restore_error = None
        return self.active
