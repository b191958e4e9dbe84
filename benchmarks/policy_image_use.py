"""Does a policy look? How its first action chunk moves with what its camera shows.

For each policy and task this prints, over starts on seeds 0..n-1 (the demos' placements), where the first
chunk's last wrist target lies from the starting wrist (the planned displacement):
- start: the standard deviation over starts of the starting wrist position (cm, per scene-camera axis). reach
  and palm_ball start the hand at one home pose (0), so there the plan can differ between starts only through
  the image; table_grasp starts the hand at one offset from the can, so its ideal plan is the same for every
  start and needs no image.
- spread: the standard deviation over starts of the planned displacement (cm, per axis). On reach a policy that
  imitates the mean motion answers every start alike (0); the targets differ by several cm.
- gain (reach only): the least-squares slope of the planned displacement on the target's offset, per axis;
  1 follows the target, 0 ignores it.
- black: how far the plan moves when the image is replaced by a black one (cm, largest axis, mean over starts).
- vision: the standard deviation over starts of the vision encoder's tokens, beside their mean magnitude.

Usage: .venv/bin/python benchmarks/policy_image_use.py POLICY_DIR [POLICY_DIR ...] [--tasks reach,table_grasp,palm_ball]
       [--starts 10]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from robot.policy_adapter import RIGHT_HAND, observation_to_inputs
from robot.sim.camera import SCENE_CAMERA
from robot.sim.driver import SimHandDriver
from vitra_core.training.evaluation import WRIST_T

if TYPE_CHECKING:
    from vitra_core.model import VLAPolicy

def _vision_spread(policy: VLAPolicy, images: list[np.ndarray]) -> tuple[float, float]:
    """(std over starts, mean magnitude) of the vision encoder's output tokens on these camera images."""
    import torch

    from vitra_core.episodes.episode_video import letterbox

    framed = [np.ascontiguousarray(letterbox(image, policy.config.frame_size_px)) for image in images]
    batch = torch.stack([torch.from_numpy(image).permute(2, 0, 1) for image in framed])
    with torch.inference_mode():
        tokens = policy.model.eval().vision(batch)
    return float(tokens.std(0).mean()), float(tokens.abs().mean())


def _per_axis(values: np.ndarray) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def measure(policy: VLAPolicy, task: str, starts: int) -> dict[str, str]:
    """One row of the table (the columns of the module docstring) for `policy` on `task`."""
    starts_m, ends, blacks, targets, images = [], [], [], [], []
    with SimHandDriver(task, image_size=(224, 224)) as driver:
        for seed in range(starts):
            observation = driver.reset(seed)
            inputs = observation_to_inputs(observation, driver.task.instruction,
                                           driver.camera_fov_deg(driver.view), driver.view)
            end = inputs.predict(policy)[-1, RIGHT_HAND][WRIST_T]
            starts_m.append(inputs.state[RIGHT_HAND][WRIST_T])
            ends.append(end)
            black = replace(inputs, image=np.zeros_like(inputs.image)).predict(policy)[-1, RIGHT_HAND][WRIST_T]
            blacks.append(np.abs(black - end).max())
            images.append(inputs.image)
            if "target_m" in driver.start:
                targets.append(driver.start["target_m"])
    planned = np.array(ends) - np.array(starts_m)
    row = {"start (cm)": _per_axis(np.std(starts_m, axis=0) * 100), "spread (cm)": _per_axis(planned.std(0) * 100),
           "black (cm)": f"{np.mean(blacks) * 100:.2f}"}
    if targets:  # targets are in the world frame, wrist targets in the scene camera's: rotate, then per axis
        target = (np.array(targets) - np.mean(targets, axis=0)) @ SCENE_CAMERA.rotation_world_cam
        moved = planned - planned.mean(0)
        row["gain"] = _per_axis((moved * target).sum(0) / (target * target).sum(0))
    spread, magnitude = _vision_spread(policy, images)
    row["vision std / mean abs"] = f"{spread:.4f} / {magnitude:.3f}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("policies", nargs="+", type=Path, help="VLAPolicy folders")
    parser.add_argument("--tasks", default="reach,table_grasp,palm_ball")
    parser.add_argument("--starts", type=int, default=10, help="seeds 0..starts-1")
    args = parser.parse_args()
    from vitra_core.model import VLAPolicy

    columns = ["start (cm)", "spread (cm)", "gain", "black (cm)", "vision std / mean abs"]
    print("| policy | task | " + " | ".join(columns) + " |\n|" + "---|" * (len(columns) + 2))
    for folder in args.policies:
        policy = VLAPolicy.load(folder)
        for task in args.tasks.split(","):
            row = measure(policy, task, args.starts)
            print(f"| {folder} | {task} | " + " | ".join(row.get(c, "-") for c in columns) + " |", flush=True)


if __name__ == "__main__":
    main()
