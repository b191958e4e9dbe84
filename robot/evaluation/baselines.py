"""Reference policies with the C1 `predict` signature: the zero policy and the scripted demonstrator.

Both go through the same adapter and roll-out as a learned policy, so their scores bracket it:
`HoldStatePolicy` (does nothing) must score 0, `ScriptedPolicy` (privileged) what recording measured.
"""

from __future__ import annotations

import numpy as np

from robot.mapping.shadow import shadow_to_human
from robot.policy_adapter import RIGHT_HAND
from robot.sim.demonstrators import Demonstrator, make_demonstrator
from robot.sim.driver import SimHandDriver
from vitra_core.episodes.state_layout import ACTION_DIM

CHUNK_SIZE = 16


class HoldStatePolicy:
    """The zero policy: every row commands the current observed pose, so the hand holds still (a held
    grip relaxes: the target is where the fingers are, not where they were pushed)."""

    def __init__(self, chunk_size: int = CHUNK_SIZE):
        self.chunk_size = chunk_size

    def predict(self, image: np.ndarray, instruction: str, state: np.ndarray, state_mask: np.ndarray,
                fov: np.ndarray) -> np.ndarray:
        return np.tile(np.asarray(state, dtype=np.float32), (self.chunk_size, 1))


class ScriptedPolicy:
    """The task's scripted demonstrator as a policy: it ignores its inputs and reads the simulator instead.

    Bound to one driver; it makes a new demonstrator whenever the driver has been reset (a new
    `driver.start`). Row i is the demonstrator's command for time t + i control periods, written in
    the human-hand space like a learned policy's output. The closed-loop `reach` demonstrator only
    knows its next command (later rows repeat a stale target), so evaluate it with `execute_steps=1`.
    """

    def __init__(self, driver: SimHandDriver, chunk_size: int = CHUNK_SIZE):
        self.driver = driver
        self.chunk_size = chunk_size
        self._start: object = None
        self._demonstrator: Demonstrator | None = None

    def predict(self, image: np.ndarray, instruction: str, state: np.ndarray, state_mask: np.ndarray,
                fov: np.ndarray) -> np.ndarray:
        driver = self.driver
        if self._start is not driver.start:
            self._start = driver.start
            self._demonstrator = make_demonstrator(driver.task.name, driver.sim, driver.start)
        held = dict(zip(driver.sim.actuated_names, driver.sim.joint_targets().tolist()))
        chunk = np.zeros((self.chunk_size, ACTION_DIM), dtype=np.float32)
        for i in range(self.chunk_size):
            command = self._demonstrator(driver.sim.time_s + i * driver.control_period_s)
            wrist = driver.camera.to_camera(command.wrist_position_m, command.wrist_rotation)
            chunk[i, RIGHT_HAND] = shadow_to_human({**held, **command.joint_targets_rad}, wrist)
        return chunk
