"""One roll-out of a policy in a simulated task, through the policy adapter and the driver only.

The policy sees what a real controller would give it (camera image, mapped hand state, fov,
instruction); only the success test at the end reads privileged simulator state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robot.policy_adapter import ChunkExecutor, Policy
from robot.sim.driver import SimHandDriver


@dataclass(frozen=True)
class RolloutResult:
    """frames: (steps + 1, H, W, 3) uint8, the camera before each step and after the last one
    ((0, 0, 0, 3) when the driver does not render); plans: how often the policy was asked."""

    task: str
    seed: int
    success: bool
    steps: int
    plans: int
    frames: np.ndarray


def rollout(policy: Policy, driver: SimHandDriver, seed: int, execute_steps: int = 8) -> RolloutResult:
    """Reset `driver` with `seed`, run `policy` for the task's duration, judge success at the end.

    A rendering driver shows the policy its camera image; a non-rendering one shows a blank image,
    which is only fit for policies that do not look (scripted, baselines).
    """
    observation = driver.reset(seed)
    camera = driver.view if driver.camera_names else None
    executor = ChunkExecutor(policy, driver.task.instruction, driver.camera_fov_deg(driver.view), camera,
                             execute_steps)
    frames = [observation.images[camera]] if camera else []
    steps = round(driver.task.episode_s / driver.control_period_s)
    for _ in range(steps):
        executor.step(observation).send(driver)
        observation = driver.observe()
        if camera:
            frames.append(observation.images[camera])
    return RolloutResult(
        task=driver.task.name, seed=seed, success=driver.success(), steps=steps, plans=executor.plans,
        frames=np.stack(frames) if frames else np.zeros((0, 0, 0, 3), dtype=np.uint8),
    )
