"""Replaying recorded action labels: do they drive the robot through the demo they came from?

`replay_open_loop` sends one label row per control period from the demo's seed, looking at nothing;
`RelativeLabelImitator` is a policy that predicts the labels perfectly, but in the frame of a
relative-action policy (the VLA's): the current observed state plus the recorded motion. Both check
that a label is a command (docs/simulator.md, "Actions are commands").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robot.policy_adapter import HandCommand, action_to_command, observation_to_inputs
from robot.sim.driver import SimHandDriver
from vitra_core.episodes.state_layout import ACTION_DIM

CHUNK_SIZE = 16


@dataclass(frozen=True)
class ReplayResult:
    """success at the end; states [T, 102] observed before each row; actuator_force_nm: the sum of the
    hand actuators' absolute forces at the end (how hard a held grip squeezes)."""

    success: bool
    states: np.ndarray
    actuator_force_nm: float


def replay_open_loop(driver: SimHandDriver, seed: int, actions: np.ndarray,
                     pushes: dict[int, np.ndarray] | None = None) -> ReplayResult:
    """Reset `driver` with `seed` and send `action_to_command` of each row of `actions` [T, >= 102], the wrist
    moved by `pushes` {step: (3,) m} where the recording was pushed (`robot.sim.recording.episode_pushes`)."""
    observation = driver.reset(seed)
    fov_deg = driver.camera_fov_deg(driver.view)
    pushes = pushes or {}
    states = []
    for t, row in enumerate(actions):
        states.append(observation_to_inputs(observation, driver.task.instruction, fov_deg, None).state)
        command = action_to_command(row[:ACTION_DIM])
        if t in pushes:
            command = HandCommand(command.joint_targets_rad, command.wrist.translated(pushes[t]))
        command.send(driver)
        observation = driver.observe()
    return ReplayResult(driver.success(), np.stack(states), float(np.abs(driver.sim.data.actuator_force).sum()))


def next_state_labels(states: np.ndarray) -> np.ndarray:
    """[T, D] the label a recording gets without its commands: the state observed after each step, the last holding."""
    return np.concatenate([states[1:], states[-1:]])


class RelativeLabelImitator:
    """Predicts, at step t, the current observed state + (labels[t + i] - states[t]) for i < `chunk_size`:
    a relative-action policy that has learnt the labels exactly. Bound to one driver and one recording."""

    def __init__(self, driver: SimHandDriver, states: np.ndarray, labels: np.ndarray, chunk_size: int = CHUNK_SIZE):
        self.driver = driver
        self.states = states[:, :ACTION_DIM]
        self.labels = labels[:, :ACTION_DIM]
        self.chunk_size = chunk_size

    def predict(self, image: np.ndarray, instruction: str, state: np.ndarray, state_mask: np.ndarray,
                fov: np.ndarray) -> np.ndarray:
        t = min(round(self.driver.sim.time_s / self.driver.control_period_s), len(self.states) - 1)
        rows = np.minimum(np.arange(t, t + self.chunk_size), len(self.labels) - 1)
        return (state + (self.labels[rows] - self.states[t])).astype(np.float32)
