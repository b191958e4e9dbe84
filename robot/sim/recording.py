"""Run scripted episodes through the driver and record them as plain arrays.

Recordings are what the episode writer turns into LeRobot-format episodes; the driver is used
for every step, so observations and actions are exactly what a policy would see and send.

A demonstrator that steers from the observed state can be *pushed* (DART, Laskey et al. 2017, "Noise
Injection for Robust Imitation Learning"): at a few seeded steps the wrist target sent is displaced, while
the action recorded stays the demonstrator's own command. Unpushed demos only show the ideal path, so a
policy a little off it at run time has never seen what to do there; pushed ones show the way back from
many places, which is what a closed-loop policy needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robot.drivers.base import Observation
from robot.sim.demonstrators import corrects, make_demonstrator
from robot.sim.driver import SimHandDriver
from vitra_core.config import PushSettings

# The pushes' own random stream beside the task's setup (seeded by the episode seed alone).
_PUSH_STREAM = 1


@dataclass(frozen=True)
class EpisodeRecord:
    """One episode at `fps` control steps per second; T steps, J joints, A actuated joints.

    images: (T, H, W, 3) uint8 from the driver's view, before each action ((T, 0, 0, 3) if not rendered)
    joint_positions_rad: (T, J) float32, order `joint_names`
    wrist: (T, 7) float32 wrist pose in the camera frame: position (m) then quaternion w, x, y, z
    action_joint_targets_rad: (T, A) float32 commanded targets, order `actuated_joint_names`
    action_wrist: (T, 7) float32 commanded wrist pose, same layout as `wrist`
    timestamps_s: (T,) float64 simulation time of each observation
    """

    task: str
    instruction: str
    seed: int
    success: bool
    fps: float
    joint_names: list[str]
    actuated_joint_names: list[str]
    images: np.ndarray
    joint_positions_rad: np.ndarray
    wrist: np.ndarray
    action_joint_targets_rad: np.ndarray
    action_wrist: np.ndarray
    timestamps_s: np.ndarray


def episode_pushes(task: str, settings: PushSettings | None, seed: int, n_steps: int, fps: float) -> dict[int, np.ndarray]:
    """{step: wrist displacement (3,) m, camera frame} of episode `seed` of `task`; none unless its demonstrator
    corrects. `settings.count` distinct steps from `start_s` until `settle_s` before the end, each a push of
    uniform length in `length_m` in a uniform direction. Drawn from the seed alone, so a replay can redo them."""
    if settings is None or not corrects(task):
        return {}
    rng = np.random.default_rng([seed, _PUSH_STREAM])
    first, last = round(settings.start_s * fps), n_steps - round(settings.settle_s * fps)
    steps = rng.choice(np.arange(first, max(first, last)), size=min(settings.count, max(0, last - first)), replace=False)
    pushes = {}
    for step in sorted(int(s) for s in steps):
        direction = rng.normal(size=3)
        pushes[step] = direction / np.linalg.norm(direction) * rng.uniform(*settings.length_m)
    return pushes


def record_episode(driver: SimHandDriver, seed: int, pushes: PushSettings | None = None) -> EpisodeRecord:
    """Reset `driver` with `seed`, run the task's demonstrator for the task's duration, record every step;
    with `pushes`, push a correcting demonstrator (the module docstring) at steps drawn from `seed`."""
    observations: list[Observation] = [driver.reset(seed)]
    demonstrator = make_demonstrator(driver.task.name, driver.sim, driver.start)
    actuated = [j.name for j in driver.actuated_joints]
    joint_actions, wrist_actions = [], []
    n_steps = round(driver.task.episode_s / driver.control_period_s)
    fps = 1.0 / driver.control_period_s
    pushed_at = episode_pushes(driver.task.name, pushes, seed, n_steps, fps)
    for step in range(n_steps):
        command = demonstrator(observations[-1].timestamp_s)
        targets = {**dict(zip(actuated, driver.sim.joint_targets())), **command.joint_targets_rad}
        wrist = driver.camera.to_camera(command.wrist_position_m, command.wrist_rotation)
        driver.command(targets, wrist.translated(pushed_at[step]) if step in pushed_at else wrist)
        joint_actions.append([targets[name] for name in actuated])
        wrist_actions.append(wrist.as_array())
        if step < n_steps - 1:
            observations.append(driver.observe())
    names = [j.name for j in driver.joints]
    return EpisodeRecord(
        task=driver.task.name,
        instruction=driver.task.instruction,
        seed=seed,
        success=driver.success(),
        fps=fps,
        joint_names=names,
        actuated_joint_names=actuated,
        images=np.stack([o.images[driver.view] for o in observations]) if driver.camera_names else np.zeros((n_steps, 0, 0, 3), np.uint8),
        joint_positions_rad=np.array([[o.joint_positions_rad[n] for n in names] for o in observations], dtype=np.float32),
        wrist=np.stack([o.wrist.as_array() for o in observations]),
        action_joint_targets_rad=np.array(joint_actions, dtype=np.float32),
        action_wrist=np.stack(wrist_actions),
        timestamps_s=np.array([o.timestamp_s for o in observations]),
    )


def run_episodes(task: str, n_episodes: int, control_hz: float = 10.0, image_size: tuple[int, int] = (224, 224), render: bool = True) -> list[EpisodeRecord]:
    """Demonstrations of `task` with seeds 0..n_episodes-1 (one driver, reset per episode)."""
    with SimHandDriver(task, control_hz=control_hz, image_size=image_size, render=render) as driver:
        return [record_episode(driver, seed) for seed in range(n_episodes)]
