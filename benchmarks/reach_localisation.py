"""How many target placements does the policy's vision encoder need to localise the `reach` target?

A probe, not a policy: the `small` preset's vision encoder (the ViT, or the keypoint encoder) trained from
scratch with a linear head to regress the target's 3D position (world frame, metres) from the first camera
frame of n seeded `reach` starts (seeds 0..n-1, the demos' placements), then tested on 50 unseen starts
(seeds 1000..1049). The error that matters is the task's: `reach` succeeds when the fingertip ends within
2 cm of the target, so a policy that cannot place the target within 2 cm from the image cannot succeed
however well it imitates the motion. 20 demos per task are 20 placements; the probe says whether 20 can be
enough for this encoder, and how many would be. "mean" is the error of always answering the training mean.

Usage: .venv/bin/python benchmarks/reach_localisation.py [--placements 20 50 200] [--steps 1500]
       [--encoder vit keypoints]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F

from robot.sim.driver import SimHandDriver
from robot.sim.tasks import REACH_TOLERANCE_M
from vitra_core.model import VLAConfig
from vitra_core.model.vision import KEYPOINTS, VisionEncoder

TEST_SEEDS = range(1000, 1050)


def first_frames(seeds: range) -> tuple[torch.Tensor, torch.Tensor]:
    """(uint8 images [n, 3, 224, 224], targets [n, 3] metres) of the reach starts of `seeds`."""
    images, targets = [], []
    with SimHandDriver("reach", image_size=(224, 224), view="scene") as driver:
        for seed in seeds:
            observation = driver.reset(seed)
            images.append(torch.from_numpy(observation.images[driver.camera.name]).permute(2, 0, 1))
            targets.append(driver.start["target_m"])
    return torch.stack(images), torch.tensor(np.array(targets), dtype=torch.float32)


def probe(encoder_kind: str, train: tuple[torch.Tensor, torch.Tensor], test: tuple[torch.Tensor, torch.Tensor],
          steps: int) -> tuple[float, float, float]:
    """Train encoder + linear head on `train`; (train error cm, test error cm, test fraction within tolerance)."""
    torch.manual_seed(0)
    config = VLAConfig.preset("small")
    vision = config.vision if encoder_kind == "vit" else config.vision.model_copy(update={"model_type": KEYPOINTS,
                                                                                          "config": {}})
    encoder = VisionEncoder(vision, config.image_size, load_pretrained=False)
    head = torch.nn.Linear(encoder.num_tokens * encoder.out_width, 3)
    images, targets = train
    mean, std = targets.mean(0), targets.std(0)
    optimiser = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=1e-3)
    predict = lambda x: head(encoder(x).flatten(1)) * std + mean  # noqa: E731
    for _ in range(steps):
        batch = torch.randint(0, len(images), (32,))
        loss = F.mse_loss((predict(images[batch]) - mean) / std, (targets[batch] - mean) / std)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        train_error = (predict(images) - targets).norm(dim=1)
        test_error = (predict(test[0]) - test[1]).norm(dim=1)
    return 100 * train_error.mean().item(), 100 * test_error.mean().item(), (test_error < REACH_TOLERANCE_M).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--placements", type=int, nargs="+", default=[20, 50, 200])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--encoder", nargs="+", default=["vit", "keypoints"], choices=["vit", "keypoints"])
    args = parser.parse_args()
    test = first_frames(TEST_SEEDS)
    print(f"| encoder | placements | train error cm | unseen error cm (mean: answer the training mean) | "
          f"unseen within {100 * REACH_TOLERANCE_M:g} cm | s |\n|---|---|---|---|---|---|")
    for n in args.placements:
        train = first_frames(range(n))
        baseline = 100 * (test[1] - train[1].mean(0)).norm(dim=1).mean().item()
        for kind in args.encoder:
            started = time.perf_counter()
            train_cm, test_cm, within = probe(kind, train, test, args.steps)
            print(f"| {kind} | {n} | {train_cm:.2f} | {test_cm:.2f} (mean {baseline:.2f}) | {within:.0%} | "
                  f"{time.perf_counter() - started:.0f} |", flush=True)


if __name__ == "__main__":
    main()
