"""Simulated tasks: each is a scene, an instruction, a seeded setup and a success test.

`setup(sim, rng)` puts the hand and props in a start state drawn from `rng` (so a seed fixes the
episode) and returns the reference values the success test needs (`TaskStart`). Success is
judged on the current state, normally at the end of an episode.

A task with `variation_of` set is a held-out variation of a demonstrated task: same instruction and
demonstrator, but objects or placements the demos never show (`TRAINING_TASKS` are recorded,
`HELD_OUT_TASKS` only evaluated), so evaluating on it measures generalisation, not recall.

`view` is the camera a task's policy sees, in its demos and its roll-outs alike, as a lab mounts the camera
a station needs: the scene camera, or the wrist camera for `reach` (a small target anywhere around the
fingertip: from the fixed camera 20 demos show 20 target positions, from the wrist every frame shows another
target-to-fingertip offset; docs/model.md, "The wrist camera").
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
    variation_of: str | None = None
    view: str = "scene"


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


# Held out: a can 15% wider (the demonstrator's wrap still holds it), placed 2-3 cm from home along each
# axis (the demos: within 2 cm).
WIDE_CAN = ObjectSpec("cylinder", (0.023, 0.05), mass_kg=0.05, rgba=(0.2, 0.4, 0.85, 1.0))
CAN_OFFSET_M = (0.0, 0.02)
WIDE_CAN_OFFSET_M = (0.02, 0.03)


def _table_grasp_setup(sim: ShadowHandSim, rng: np.random.Generator, offset_m: tuple[float, float] = CAN_OFFSET_M,
                       can_spec: ObjectSpec = CAN) -> TaskStart:
    """The can `offset_m` (low, high) from home along x and y, each with a random sign, standing on the table."""
    offset = rng.uniform(*offset_m, 2) * rng.choice([-1.0, 1.0], 2)
    can = CAN_HOME_M + np.array([*offset, can_spec.size_m[1] - CAN.size_m[1]])
    sim.reset(np.zeros(3), poses.PALM_SIDE, poses.OPEN)
    palm_from_wrist = sim.site_position(PALM_CENTRE_SITE) - sim.wrist_pose()[0]
    grasp_wrist = can + GRASP_OFFSET_M - palm_from_wrist
    sim.reset(grasp_wrist + APPROACH_OFFSET_M, poses.PALM_SIDE, poses.OPEN)
    sim.place_object(can)
    return {"object_m": can, "grasp_wrist_m": grasp_wrist}


def _table_grasp_success(sim: ShadowHandSim, start: TaskStart) -> bool:
    held = np.linalg.norm(sim.object_position() - sim.site_position(PALM_CENTRE_SITE)) < 0.08
    return bool(held and sim.object_position()[2] - start["object_m"][2] >= LIFT_M)


def _wide_can_setup(sim: ShadowHandSim, rng: np.random.Generator) -> TaskStart:
    return _table_grasp_setup(sim, rng, WIDE_CAN_OFFSET_M, WIDE_CAN)


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
            view="wrist",
        ),
        Task(
            "table_grasp",
            "Pick up the blue can from the table.",
            SceneSpec(object=CAN),
            4.5,
            _table_grasp_setup,
            _table_grasp_success,
        ),
        Task(
            "table_grasp_wide_can",
            "Pick up the blue can from the table.",
            SceneSpec(object=WIDE_CAN),
            4.5,
            _wide_can_setup,
            _table_grasp_success,
            variation_of="table_grasp",
        ),
    )
}
TRAINING_TASKS = [name for name, task in TASKS.items() if task.variation_of is None]
HELD_OUT_TASKS = [name for name, task in TASKS.items() if task.variation_of is not None]


def with_variations(demonstrated: list[str]) -> list[str]:
    """The tasks to roll out for policies trained on `demonstrated`: those, then their held-out variations."""
    return [*demonstrated, *(name for name in HELD_OUT_TASKS if TASKS[name].variation_of in demonstrated)]


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise UnknownTaskError(name)
    return TASKS[name]
