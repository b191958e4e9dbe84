"""Scripted demonstrators: policies that use privileged simulator state to solve each task.

A demonstrator is made for one episode (`make_demonstrator(task, sim, start)`) and then called
with the episode time; it returns a world-frame `Command`. The recorder turns commands into
camera-frame driver actions, so recordings hold exactly what a learned policy would output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from robot.sim import poses
from robot.sim.hand import ShadowHandSim
from robot.sim.rotations import axis_angle, interpolate
from robot.sim.scene import FINGERTIP_SITES
from robot.sim.tasks import TaskStart, get_task


@dataclass(frozen=True)
class Command:
    """Joint targets (rad, by actuated joint name) and a world-frame wrist target (position (3,), rotation (3, 3))."""

    joint_targets_rad: Mapping[str, float]
    wrist_position_m: np.ndarray
    wrist_rotation: np.ndarray


@dataclass(frozen=True)
class Keyframe:
    """The command to have reached by `t_s`; the script eases into it from the previous keyframe."""

    t_s: float
    command: Command


Demonstrator = Callable[[float], Command]


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def keyframe_script(keyframes: list[Keyframe]) -> Demonstrator:
    """An open-loop demonstrator that eases (smoothstep) between keyframes and holds the last one."""

    def command_at(t_s: float) -> Command:
        later = [k for k in keyframes if k.t_s > t_s]
        if not later or later[0] is keyframes[0]:
            return (later[0] if later else keyframes[-1]).command
        nxt = later[0]
        prev = keyframes[keyframes.index(nxt) - 1]
        s = _smoothstep((t_s - prev.t_s) / (nxt.t_s - prev.t_s))
        a, b = prev.command, nxt.command
        names = set(a.joint_targets_rad) | set(b.joint_targets_rad)
        joints = {
            n: (1 - s) * a.joint_targets_rad.get(n, 0.0) + s * b.joint_targets_rad.get(n, 0.0) for n in names
        }
        position = (1 - s) * a.wrist_position_m + s * b.wrist_position_m
        return Command(joints, position, interpolate(a.wrist_rotation, b.wrist_rotation, s))

    return command_at


def _palm_ball(sim: ShadowHandSim, start: TaskStart) -> Demonstrator:
    """Wait for the ball to settle in the cupped hand, close on it, then lift 12 cm while rolling 90 degrees."""
    wrist, rotation = sim.wrist_target()
    lifted = wrist + np.array([0.0, 0.0, 0.12])
    rolled = axis_angle(rotation[:, 2], np.pi / 2) @ rotation
    return keyframe_script(
        [
            Keyframe(0.0, Command(poses.CUP, wrist, rotation)),
            Keyframe(0.8, Command(poses.CUP, wrist, rotation)),
            Keyframe(1.6, Command(poses.FIST, wrist, rotation)),
            Keyframe(3.6, Command(poses.FIST, lifted, rolled)),
        ]
    )


def _reach(sim: ShadowHandSim, start: TaskStart, gain: float = 0.8, max_step_m: float = 0.03) -> Demonstrator:
    """Closed loop: shift the wrist target by the fingertip's remaining error, a bounded step per call."""
    _, rotation = sim.wrist_target()

    def command_at(t_s: float) -> Command:
        error = start["target_m"] - sim.site_position(FINGERTIP_SITES["ff"])
        step = gain * error
        step *= min(1.0, max_step_m / max(float(np.linalg.norm(step)), 1e-9))
        return Command(poses.POINT, sim.wrist_target()[0] + step, rotation)

    return command_at


def _table_grasp(sim: ShadowHandSim, start: TaskStart) -> Demonstrator:
    """Slide the open hand in beside the can, wrap the fingers and thumb round it, lift 12 cm."""
    approach, rotation = sim.wrist_target()
    grasp = start["grasp_wrist_m"]
    lifted = grasp + np.array([0.0, 0.0, 0.12])
    return keyframe_script(
        [
            Keyframe(0.0, Command(poses.OPEN, approach, rotation)),
            Keyframe(1.0, Command(poses.OPEN, grasp, rotation)),
            Keyframe(2.0, Command(poses.WRAP, grasp, rotation)),
            Keyframe(3.5, Command(poses.WRAP, lifted, rotation)),
        ]
    )


DEMONSTRATORS: dict[str, Callable[[ShadowHandSim, TaskStart], Demonstrator]] = {
    "palm_ball": _palm_ball,
    "reach": _reach,
    "table_grasp": _table_grasp,
}
# Demonstrators that command from the observed state: pushed off course they steer back, so a push shows
# a correction worth imitating. The keyframe scripts replay a timetable and would only carry the push along.
CORRECTING = frozenset({"reach"})


def corrects(task_name: str) -> bool:
    """Whether the demonstrator of `task_name` (or of the task it is a variation of) steers back when pushed."""
    task = get_task(task_name)
    return (task.variation_of or task_name) in CORRECTING


def make_demonstrator(task_name: str, sim: ShadowHandSim, start: TaskStart) -> Demonstrator:
    """The scripted policy for one episode of `task_name` (a held-out variation uses its task's), right after
    the task's setup."""
    task = get_task(task_name)  # raises UnknownTaskError with the known names
    return DEMONSTRATORS[task.variation_of or task_name](sim, start)
