"""The hand controller's configuration: configs/robot/controller.yaml, validated by `ControllerConfig`.

Relative paths are relative to the project root (the folder holding the config's `configs/` folder),
as in vitra_core.config. The deploy token is never in the file: `token_env` names the variable.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from robot.safety import SafetySettings
from vitra_core.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DriverSettings(_Section):
    """The hand: a simulated Shadow hand in one task scene (`robot.sim.TASKS`)."""

    task: str = "palm_ball"
    seed: int = Field(0, description="the scene's start state")
    image_size_px: tuple[int, int] = Field((224, 224), description="(width, height) of the camera images")
    camera: str | None = Field(None, description="the camera shown to the policy; default the driver's first (sim: "
                                                 "the task's camera, the one its demos were recorded from)")


class LoopSettings(_Section):
    rate_hz: float = Field(30.0, gt=0, le=1000, description="control loop rate: one safety-filtered command per period")
    policy_hz: float = Field(10.0, gt=0, description="the rate of the policy's action rows (the fps of its training "
                                                      "data: robot demos are recorded at 10 Hz); rows are interpolated")
    execute_steps: int = Field(4, ge=1, description="receding horizon: re-plan after this many rows of a chunk")
    instruction: str | None = Field(None, description="the instruction given to the policy; default the task's")


class DeploySettings(_Section):
    trusted_keys: list[Path] = Field(default_factory=list, description="PEM Ed25519 public keys whose bundles deploy")
    store_dir: Path = Path(".vitra/controller")
    keep_bundles: int = Field(3, ge=2, description="the active bundle and older ones kept for POST /rollback")
    max_bundle_bytes: int = Field(256 * 1024 * 1024, gt=0)
    smoke_latency_budget_s: float = Field(2.0, gt=0, description="the smoke inference must answer within this, and "
                                                                  "within the watchdog's bound (max_policy_latency_s)")


class ControllerConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    token_env: str = Field("VITRA_CONTROLLER_TOKEN", min_length=1,
                           description="environment variable holding the deploy token")
    project_root: Path = Field(Path("."), exclude=True)
    driver: DriverSettings = DriverSettings()
    loop: LoopSettings = LoopSettings()
    safety: SafetySettings = SafetySettings()
    deploy: DeploySettings = DeploySettings()

    @model_validator(mode="after")
    def _watchdog_outlasts_a_replan(self) -> ControllerConfig:
        if self.safety.watchdog_timeout_s <= self.replan_s:
            raise ValueError(f"safety.watchdog_timeout_s ({self.safety.watchdog_timeout_s}) must exceed the re-plan "
                             f"interval loop.execute_steps / loop.policy_hz ({self.replan_s:.3f} s), or every plan times out")
        return self

    @property
    def replan_s(self) -> float:
        return self.loop.execute_steps / self.loop.policy_hz

    @property
    def max_policy_latency_s(self) -> float:
        """The slowest predict() whose plans reach the hand before the watchdog holds it: the next plan is asked
        max(re-plan interval, latency) after one was observed and lands a latency later, so a plan is
        max(replan, latency) + latency old when replaced, which must stay within watchdog_timeout_s."""
        watchdog_s = self.safety.watchdog_timeout_s
        return min(watchdog_s - self.replan_s, watchdog_s / 2)

    @property
    def smoke_budget_s(self) -> float:
        """What the smoke inference must answer within: the configured budget, bounded by the watchdog."""
        return min(self.deploy.smoke_latency_budget_s, self.max_policy_latency_s)

    def resolve(self, path: Path) -> Path:
        path = Path(path).expanduser()
        return path if path.is_absolute() else (self.project_root / path).resolve()


def _project_root(config_file: Path) -> Path:
    """Relative paths are relative to the project: the folder holding `configs/`, else the file's own folder."""
    configs = next((p for p in config_file.parents if p.name == "configs"), None)
    return configs.parent if configs else config_file.parent


def load_controller_config(path: Path) -> ControllerConfig:
    """Read and validate a controller YAML; raise ConfigError naming the file, the key and the reason."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    data["project_root"] = _project_root(path.resolve())
    try:
        return ControllerConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid controller configuration:\n  " + "\n  ".join(lines)) from exc
