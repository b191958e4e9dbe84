"""The one bridge between a `HandDriver` and a VLA policy (contract C2), for sim roll-outs and the controller.

A policy speaks the dataset's language: the state of two human hands (51 numbers each) plus a mask,
an image, an instruction and the camera's field of view in, a chunk of actions out (C1 `predict`).
The hand speaks joints and a wrist pose. Here the Shadow hand fills the right-hand slot (mask (False,
True), left zeros) through `shadow_to_human`, and each action row goes back through `human_to_shadow`.
An action row is a command target, as the robot dataset's `action` is (the targets the demonstrator
sent, docs/simulator.md): row 0 is what to command right after the observation, row i i control
periods later; it is not the pose the hand is expected to reach, which a compliant hand lags.
`ChunkExecutor` runs a chunk receding-horizon style (execute the first k rows, then re-plan from a
fresh observation).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from robot.drivers.base import DriverError, HandDriver, Observation, WristPose
from robot.mapping.shadow import human_to_shadow, shadow_to_human
from vitra_core.episodes.state_layout import ACTION_DIM
from vitra_core.hands.skeleton import STATE_SIZE

# The Shadow hand is a right hand: its 51 numbers sit in the second slot of the 102.
RIGHT_HAND = slice(STATE_SIZE, 2 * STATE_SIZE)
STATE_MASK = np.array([False, True])
# Shown to policies that do not look (scripted demonstrators, baselines) when the driver does not render.
BLANK_IMAGE = np.zeros((224, 224, 3), dtype=np.uint8)


class Policy(Protocol):
    """Anything with C1's `predict` (`vitra_core.model.VLAPolicy`, the scripted demonstrator, baselines)."""

    def predict(
        self, image: np.ndarray, instruction: str, state: np.ndarray, state_mask: np.ndarray, fov: np.ndarray
    ) -> np.ndarray:
        """image uint8 [H, W, 3], state float32 [102], state_mask bool [2], fov float32 [2] (deg)
        -> float32 [chunk, 102] absolute hand targets to command, now and at the next steps."""
        ...


class PolicyOutputError(DriverError):
    """A policy returned something that is not a chunk of finite [102] hand states."""


@dataclass(frozen=True)
class PolicyInputs:
    """The keyword arguments of one `predict` call (shapes as in `Policy.predict`)."""

    image: np.ndarray
    instruction: str
    state: np.ndarray
    state_mask: np.ndarray
    fov: np.ndarray

    def predict(self, policy: Policy) -> np.ndarray:
        """`policy.predict` on these inputs, checked: float32 [chunk >= 1, 102], finite."""
        chunk = np.asarray(policy.predict(self.image, self.instruction, self.state, self.state_mask, self.fov))
        if chunk.ndim != 2 or chunk.shape[0] < 1 or chunk.shape[1] != ACTION_DIM:
            raise PolicyOutputError(
                f"{type(policy).__name__}.predict returned shape {chunk.shape}; expected (chunk, {ACTION_DIM})")
        if not np.all(np.isfinite(chunk)):
            raise PolicyOutputError(f"{type(policy).__name__}.predict returned non-finite values")
        return chunk.astype(np.float32)


@dataclass(frozen=True)
class HandCommand:
    """What `HandDriver.command` takes: targets (rad) for every actuated joint and the wrist pose (camera frame)."""

    joint_targets_rad: dict[str, float]
    wrist: WristPose

    def send(self, driver: HandDriver) -> None:
        driver.command(self.joint_targets_rad, self.wrist)


def observation_to_inputs(
    observation: Observation, instruction: str, fov_deg: tuple[float, float], camera: str | None
) -> PolicyInputs:
    """predict() inputs for one observation: the hand in the right-hand slot, left zeros, mask (False, True).

    camera: the image to show the policy; None shows `BLANK_IMAGE` (only for policies that ignore
    images, evaluated without rendering).
    """
    if camera is None:
        image = BLANK_IMAGE
    elif camera in observation.images:
        image = observation.images[camera]
    else:
        available = sorted(observation.images) or "none"
        raise DriverError(f"observation has no image from camera {camera!r}; it has {available}")
    state = np.zeros(ACTION_DIM, dtype=np.float32)
    state[RIGHT_HAND] = shadow_to_human(observation.joint_positions_rad, observation.wrist)
    return PolicyInputs(image, instruction, state, STATE_MASK.copy(), np.asarray(fov_deg, dtype=np.float32))


def action_to_command(action: np.ndarray, wrist_joints_rad: tuple[float, float] = (0.0, 0.0)) -> HandCommand:
    """One [102] action row (a command target in the human layout) -> the right hand's joint targets and
    wrist pose to send as they are (the left slot is ignored).

    wrist_joints_rad (WRJ1, WRJ0): how the palm rotation splits between the Shadow wrist joints and the
    6-DoF base (see `human_to_shadow`); the default (0, 0) is how the demonstrations hold the wrist.
    """
    action = np.asarray(action, dtype=np.float64)
    if action.shape != (ACTION_DIM,):
        raise PolicyOutputError(f"an action row must have shape ({ACTION_DIM},), got {action.shape}")
    targets, wrist = human_to_shadow(action[RIGHT_HAND], wrist_joints_rad)
    return HandCommand(targets, wrist)


class ChunkExecutor:
    """Receding horizon: plan a chunk from an observation, send its first `execute_steps` rows, re-plan.

    Call `step(observation)` once per control period with the latest observation; it returns the
    command for this period, asking the policy for a new chunk whenever the executed part is used
    up. It never touches the driver, so the controller can filter commands through its safety
    layer before sending them. `reset()` (a new episode or instruction) drops the current plan.
    """

    def __init__(
        self,
        policy: Policy,
        instruction: str,
        fov_deg: tuple[float, float],
        camera: str | None,
        execute_steps: int = 8,
        wrist_joints_rad: tuple[float, float] = (0.0, 0.0),
    ):
        if execute_steps < 1:
            raise ValueError(f"execute_steps must be >= 1, got {execute_steps}")
        self.policy = policy
        self.instruction = instruction
        self.fov_deg = fov_deg
        self.camera = camera
        self.execute_steps = execute_steps
        self.wrist_joints_rad = wrist_joints_rad
        self.plans = 0
        self._queue: deque[HandCommand] = deque()

    @classmethod
    def for_driver(cls, driver: HandDriver, policy: Policy, instruction: str, execute_steps: int = 8,
                   camera: str | None = None) -> ChunkExecutor:
        """An executor that shows the policy `camera` (default: the driver's first) with its field of view."""
        if camera is None:
            if not driver.camera_names:
                raise DriverError(f"{type(driver).__name__} has no camera to show the policy")
            camera = driver.camera_names[0]
        return cls(policy, instruction, driver.camera_fov_deg(camera), camera, execute_steps)

    def reset(self, instruction: str | None = None) -> None:
        self._queue.clear()
        if instruction is not None:
            self.instruction = instruction

    def plan(self, observation: Observation) -> np.ndarray:
        """Ask the policy for a chunk [chunk, 102] from `observation` and queue its first `execute_steps` rows."""
        chunk = observation_to_inputs(observation, self.instruction, self.fov_deg, self.camera).predict(self.policy)
        self._queue = deque(action_to_command(row, self.wrist_joints_rad) for row in chunk[: self.execute_steps])
        self.plans += 1
        return chunk

    def step(self, observation: Observation) -> HandCommand:
        """The command for this control period (re-planning first if the queue is empty)."""
        if not self._queue:
            self.plan(observation)
        return self._queue.popleft()
