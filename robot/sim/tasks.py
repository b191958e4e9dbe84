"""Simulated tasks: each is a scene, an instruction, a seeded setup and a success test.

`setup(sim, rng)` puts the hand and props in a start state drawn from `rng` (so a seed fixes the
episode) and returns the reference values the success test needs (`TaskStart`). Success is
judged on the current state, normally at the end of an episode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from robot.drivers.base import DriverError
from robot.sim import poses
from robot.sim.hand import ShadowHandSim
from robot.sim.scene import FINGERTIP_SITES, PALM_BODY, PALM_CENTRE_SITE, ObjectSpec, SceneSpec

TaskStart = Mapping[str, np.ndarray]


class UnknownTaskError(DriverError):
    """A task name is not in the registry."""

    def __init__(self, name: str):
        super().__init__(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}")


@dataclass(frozen=True)
class Task:
    name: str
    instruction: str
    scene: SceneSpec
    episode_s: float
    setup: Callable[[ShadowHandSim, np.random.Generator], TaskStart]
    success: Callable[[ShadowHandSim, TaskStart], bool]


def _palm_normal(sim: ShadowHandSim) -> np.ndarray:
    """World direction the palm faces (the palm frame's -y)."""
    return -sim.body_pose(PALM_BODY)[1][:, 1]


# --- (a) ball on the palm, carried through a lift and roll -------------------------------------------

BALL = ObjectSpec("sphere", (0.03,), mass_kg=0.05)
LIFT_M = 0.05
ROLL_RAD = np.deg2rad(60)


def _palm_ball_setup(sim: ShadowHandSim, rng: np.random.Generator) -> TaskStart:
    sim.reset(poses.HOME_WRIST_M, poses.PALM_UP, poses.CUP)
    drop = sim.site_position(PALM_CENTRE_SITE) + np.array([*rng.uniform(-0.005, 0.005, 2), 0.05])
    sim.place_object(drop)
    return {"wrist_m": sim.wrist_pose()[0], "palm_normal": _palm_normal(sim)}


def _palm_ball_success(sim: ShadowHandSim, start: TaskStart) -> bool:
    in_hand = np.linalg.norm(sim.object_position() - sim.site_position(PALM_CENTRE_SITE)) < 0.05
    lifted = sim.wrist_pose()[0][2] - start["wrist_m"][2] >= LIFT_M
    rolled = np.arccos(np.clip(_palm_normal(sim) @ start["palm_normal"], -1, 1)) >= ROLL_RAD
    return bool(in_hand and lifted and rolled)


# --- (b) reach a point with the index fingertip ------------------------------------------------------

REACH_TOLERANCE_M = 0.02


def _reach_setup(sim: ShadowHandSim, rng: np.random.Generator) -> TaskStart:
    sim.reset(poses.HOME_WRIST_M, poses.PALM_DOWN, poses.POINT)
    tip = sim.site_position(FINGERTIP_SITES["ff"])
    while True:  # rejection sampling: at least 6 cm away, never inside the table
        target = tip + rng.uniform([-0.08, -0.05, -0.06], [0.08, 0.08, 0.06])
        if np.linalg.norm(target - tip) >= 0.06 and target[2] >= 0.03:
            break
    sim.place_target_marker(target)
    return {"target_m": target}


def _reach_success(sim: ShadowHandSim, start: TaskStart) -> bool:
    return bool(np.linalg.norm(sim.site_position(FINGERTIP_SITES["ff"]) - start["target_m"]) < REACH_TOLERANCE_M)


# --- (c) grasp an object on the table and lift it ----------------------------------------------------

CAN = ObjectSpec("cylinder", (0.02, 0.05), mass_kg=0.05, rgba=(0.2, 0.4, 0.85, 1.0))
CAN_HOME_M = np.array([0.0, 0.12, 0.05])
# Where the palm centre goes relative to the can's centre for the wrap, and where it starts from.
GRASP_OFFSET_M = np.array([0.03, -0.04, 0.02])
APPROACH_OFFSET_M = np.array([0.08, 0.0, 0.0])


def _table_grasp_setup(sim: ShadowHandSim, rng: np.random.Generator) -> TaskStart:
    can = CAN_HOME_M + np.array([*rng.uniform(-0.02, 0.02, 2), 0.0])
    sim.reset(np.zeros(3), poses.PALM_SIDE, poses.OPEN)
    palm_from_wrist = sim.site_position(PALM_CENTRE_SITE) - sim.wrist_pose()[0]
    grasp_wrist = can + GRASP_OFFSET_M - palm_from_wrist
    sim.reset(grasp_wrist + APPROACH_OFFSET_M, poses.PALM_SIDE, poses.OPEN)
    sim.place_object(can)
    return {"object_m": can, "grasp_wrist_m": grasp_wrist}


def _table_grasp_success(sim: ShadowHandSim, start: TaskStart) -> bool:
    held = np.linalg.norm(sim.object_position() - sim.site_position(PALM_CENTRE_SITE)) < 0.08
    return bool(held and sim.object_position()[2] - start["object_m"][2] >= LIFT_M)


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            "palm_ball",
            "Catch the ball in your palm, close your hand on it, then lift it and turn your wrist.",
            SceneSpec(object=BALL),
            4.5,
            _palm_ball_setup,
            _palm_ball_success,
        ),
        Task(
            "reach",
            "Touch the green dot with your index fingertip.",
            SceneSpec(target_marker=True),
            3.0,
            _reach_setup,
            _reach_success,
        ),
        Task(
            "table_grasp",
            "Pick up the blue can from the table.",
            SceneSpec(object=CAN),
            4.5,
            _table_grasp_setup,
            _table_grasp_success,
        ),
    )
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise UnknownTaskError(name)
    return TASKS[name]
