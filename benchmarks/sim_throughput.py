"""Simulator throughput, measured in one run: how much rendering costs next to physics.

Prints, per task, while its scripted demonstrator drives the hand through the policy adapter
(the same loop `policy_eval` runs):
  - control steps/s without rendering (one 0.1 s `command` + `observe` each: 50 MuJoCo steps of
    2 ms plus the policy and the adapter's mapping), and the same as MuJoCo steps/s (x 50)
  - control steps/s with a 224 x 224 camera image rendered every step (frames/s)
  - the ratio of the two: how many times faster an evaluation runs when the policy does not look

Usage: .venv/bin/python benchmarks/sim_throughput.py [--seeds 3] [--size 224]
"""

from __future__ import annotations

import argparse
import time

from robot.evaluation import ScriptedPolicy, rollout
from robot.sim.driver import SimHandDriver
from robot.sim.tasks import TASKS


def control_steps_per_s(task: str, seeds: int, size: int, render: bool) -> tuple[float, float]:
    """(control steps/s, physics steps/s) of scripted roll-outs of `task` (driver set-up not timed)."""
    with SimHandDriver(task, image_size=(size, size), render=render) as driver:
        policy = ScriptedPolicy(driver, chunk_size=1)
        rollout(policy, driver, seed=seeds, execute_steps=1)  # warm-up: first render, caches
        steps, start = 0, time.perf_counter()
        for seed in range(seeds):
            steps += rollout(policy, driver, seed, execute_steps=1).steps
        seconds = time.perf_counter() - start
        physics_per_control = round(driver.control_period_s / driver.sim.model.opt.timestep)
    return steps / seconds, steps * physics_per_control / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="roll-outs per task and mode")
    parser.add_argument("--size", type=int, default=224, help="rendered image side (pixels)")
    args = parser.parse_args()
    print(f"{'task':<12} {'control steps/s':>16} {'= MuJoCo steps/s':>17} {'+ render frames/s':>18} {'ratio':>6}")
    for task in TASKS:
        blind, physics = control_steps_per_s(task, args.seeds, args.size, render=False)
        seeing, _ = control_steps_per_s(task, args.seeds, args.size, render=True)
        print(f"{task:<12} {blind:>16,.1f} {physics:>17,.0f} {seeing:>18,.1f} {blind / seeing:>6.1f}")


if __name__ == "__main__":
    main()
