"""One controller: the hand's driver, the control loop, the policy worker, the deployer and their metrics."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from robot.bundle import BundleStore, load_trusted_keys
from robot.bundle.signing import KeyFileError
from robot.controller.config import ControllerConfig, DriverSettings
from robot.controller.deployer import Deployer
from robot.controller.loop import ControlLoop
from robot.controller.metrics import ControllerMetrics
from robot.controller.planner import Planner
from robot.drivers.base import HandDriver
from robot.safety import SafetyFilter
from vitra_core.errors import ConfigError

log = logging.getLogger(__name__)

# /health turns "degraded" when the loop has not ticked for this long (a stalled or dead loop), and stays so
# this long after the watchdog last held the hand for want of a fresh plan.
_STALE_TICK_S = 1.0


def build_driver(settings: DriverSettings, control_hz: float) -> HandDriver:
    """The simulated Shadow hand in the configured task scene, reset to its seed. A real hand's driver
    would be chosen here; nothing else knows which hand it drives."""
    from robot.sim import SimHandDriver

    driver = SimHandDriver(settings.task, control_hz=control_hz, image_size=settings.image_size_px, view=settings.camera)
    driver.reset(settings.seed)
    return driver


def task_instruction(settings: DriverSettings) -> str:
    """The instruction of the configured task: what the policy is told unless the config says otherwise."""
    from robot.sim import get_task

    return get_task(settings.task).instruction


def _trusted_keys(config: ControllerConfig) -> dict:
    """deploy.trusted_keys loaded; a missing key file says how to make one (the demo makes it on first run)."""
    paths = [config.resolve(path) for path in config.deploy.trusted_keys]
    try:
        return load_trusted_keys(paths)
    except KeyFileError as exc:
        missing = [path for path in paths if not path.exists()]
        if not missing:
            raise
        raise ConfigError(f"{exc}; create the signing key pair with `vitra bundle keygen --out-dir "
                          f"{missing[0].parent}` (or run `make demo` once, which makes it)") from exc


def read_token(config: ControllerConfig, environ: Mapping[str, str]) -> str:
    token = environ.get(config.token_env, "")
    if not token:
        raise ConfigError(f"environment variable {config.token_env} (controller token_env) is empty or unset: "
                          f"deploy and rollback need a bearer token; start it as "
                          f"`{config.token_env}=$(openssl rand -hex 16) vitra controller serve ...` and give the "
                          f"same value to whoever deploys")
    return token


class Controller:
    def __init__(self, config: ControllerConfig, token: str):
        self.config = config
        self.token = token
        self.metrics = ControllerMetrics()
        deploy = config.deploy
        trusted = _trusted_keys(config)
        if not trusted:
            log.warning("deploy.trusted_keys is empty: every bundle will be refused by the signature check")
        store = BundleStore(config.resolve(deploy.store_dir), deploy.keep_bundles)
        self.loop = ControlLoop(lambda: build_driver(config.driver, config.loop.rate_hz), self.metrics, config.loop.rate_hz)
        driver = self.loop.driver  # only its static description is read here; the loop thread drives it
        camera = config.driver.camera or driver.camera_names[0]
        joints = driver.actuated_joints
        self.planner = Planner([j.name for j in joints], config.loop.instruction or task_instruction(config.driver),
                               driver.camera_fov_deg(camera), camera, config.loop.policy_hz, config.loop.execute_steps,
                               config.safety.watchdog_timeout_s, self.metrics)
        self.safety = SafetyFilter(joints, config.safety, period_s=1.0 / config.loop.rate_hz)
        self.deployer = Deployer(store, trusted, deploy, self.planner, self.loop, self.metrics, config.loop.execute_steps,
                                 config.smoke_budget_s)
        self.started_s = time.monotonic()

    @classmethod
    def from_environment(cls, config: ControllerConfig, environ: Mapping[str, str] = os.environ) -> Controller:
        return cls(config, read_token(config, environ))

    def start(self) -> None:
        self.deployer.restore()
        self.planner.start()
        self.loop.start(self.planner, self.safety)

    def stop(self) -> None:
        self.loop.stop()
        self.planner.stop()

    def health(self) -> dict[str, Any]:
        """Whether the loop ticks, what drives the hand, and why not when something is wrong."""
        last = self.loop.last_tick_s
        tick_age_s = None if last is None else time.monotonic() - last
        problems = [p for p in (self.loop.error, self.deployer.restore_error) if p]
        if tick_age_s is None or tick_age_s > _STALE_TICK_S:
            problems.append(f"control loop has not ticked for {tick_age_s if tick_age_s is not None else 'ever'} s")
        held = self.loop.last_watchdog_s
        if held is not None and time.monotonic() - held <= _STALE_TICK_S:
            problems.append(f"the watchdog is holding the hand: the active policy has no plan younger than "
                            f"{self.config.safety.watchdog_timeout_s} s (predict() too slow, failing or hung)")
        active = self.deployer.active
        return {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "task": self.config.driver.task,
            "loop_rate_hz": self.metrics.rate_hz,
            "loop_ticks": self.loop.ticks,
            "loop_overruns": self.loop.overruns,
            "last_tick_age_s": tick_age_s,
            "timing": self.metrics.timing(self.loop.period_s),
            "active_bundle": active.bundle_id if active else None,
            "uptime_s": time.monotonic() - self.started_s,
        }

    def policy(self) -> dict[str, Any]:
        """The active bundle's id, signer and manifest, and the kept history (newest first)."""
        active = self.deployer.active
        return {
            "bundle_id": active.bundle_id if active else None,
            "key_id": active.key_id if active else None,
            "manifest": active.manifest.model_dump(mode="json") if active else None,
            "history": self.deployer.store.history,
        }

    def state(self) -> dict[str, Any]:
        """The last command sent and the last observation taken (without images): what the hand was told
        and where it was. Observations are taken at re-plans and deploys, not every tick."""
        command, observation = self.loop.last_command, self.loop.last_observation
        return {
            "command": None if command is None else {
                "joint_targets_rad": dict(zip(self.safety.joint_names, command.joint_targets_rad.tolist())),
                "wrist_position_m": command.wrist_position_m.tolist(),
                "wrist_quat_wxyz": command.wrist_quat_wxyz.tolist(),
            },
            "observation": None if observation is None else {
                "timestamp_s": observation.timestamp_s,
                "joint_positions_rad": dict(observation.joint_positions_rad),
                "wrist_position_m": observation.wrist.position_m.tolist(),
                "wrist_quat_wxyz": observation.wrist.quat_wxyz.tolist(),
            },
        }
