"""Do a demo's action labels drive the robot? Commanded targets vs the next observed state, per task.

For each task and seed, records the scripted demo (no rendering) and replays its labels two ways
(`robot.evaluation.replay`): open loop from the same seed (success, and the hand actuators' summed
force at the end: the grip), and through `rollout` as a relative-action policy that imitates the
labels exactly, re-planning every k steps. Labels: `record_action` (commanded, what the dataset
stores) and `next_state_labels(record_state)` (the observed next state, the label before robot_demos-v2).

Usage: .venv/bin/python benchmarks/action_label_replay.py [--seeds 5] [--execute-steps 1 8]
"""

from __future__ import annotations

import argparse

import numpy as np

from robot.demos import record_action, record_state
from robot.evaluation import rollout
from robot.evaluation.replay import (
    RelativeLabelImitator,
    next_state_labels,
    replay_open_loop,
)
from robot.sim.driver import SimHandDriver
from robot.sim.recording import record_episode
from robot.sim.tasks import TASKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--execute-steps", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    columns = ["open loop", "force N m", *(f"relative k={k}" for k in args.execute_steps)]
    print(f"| task | labels | {' | '.join(columns)} |\n|---|---|{'---|' * len(columns)}")
    for task in TASKS:
        with SimHandDriver(task, render=False) as driver:
            records = [record_episode(driver, seed) for seed in range(args.seeds)]
            for name in ("commanded", "next_state"):
                wins, forces, relative = 0, [], {k: 0 for k in args.execute_steps}
                for record in records:
                    states = record_state(record)
                    labels = record_action(record) if name == "commanded" else next_state_labels(states)
                    replay = replay_open_loop(driver, record.seed, labels)
                    wins += replay.success
                    forces.append(replay.actuator_force_nm)
                    for k in args.execute_steps:
                        policy = RelativeLabelImitator(driver, states, labels)
                        relative[k] += rollout(policy, driver, record.seed, execute_steps=k).success
                n = len(records)
                cells = [f"{wins}/{n}", f"{np.mean(forces):.2f}", *(f"{relative[k]}/{n}" for k in args.execute_steps)]
                print(f"| {task} | {name} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
