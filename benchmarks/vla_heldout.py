"""Does the VLA beat "hold still" on videos it never saw? Trains `pretrain`'s model on its training videos
for several seeds (validation and early stopping as configured), then prints wrist ADE on the evaluation
videos and on the training videos for the model (mean of K flow samples, and one sample) beside the
hold and constant-velocity baselines, with mean and spread over seeds, and each run's validation curve.

Usage: .venv/bin/python benchmarks/vla_heldout.py DATASET [--seeds 0 1 2] [--size small] [--steps 1500]
  DATASET: an episode dataset folder (e.g. data/episodes after `make demo`; copy it, nothing is written there)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from vitra_core.episodes.loader import EpisodeWindowDataset
from vitra_core.model import VLAConfig, VLAPolicy
from vitra_core.training import train
from vitra_core.training.evaluation import eval_samples, evaluate_action_prediction, policy_predictor
from vitra_core.training.pretrain import split_and_validator
from vitra_core.training.settings import PretrainSettings


def wrist_ade(policy: VLAPolicy, root: Path, episodes: list[int], flow_samples: int, stride: int) -> dict[str, float]:
    dataset = EpisodeWindowDataset(root, chunk_size=policy.spec.chunk_size, episodes=episodes)
    samples = list(eval_samples(dataset))[::stride]
    errors = evaluate_action_prediction(policy_predictor(policy, flow_samples), samples)
    one = evaluate_action_prediction(policy_predictor(policy, 1), samples)["model"]
    return {"model": errors["model"].wrist_ade_cm, "model (1 sample)": one.wrist_ade_cm,
            **{m: errors[m].wrist_ade_cm for m in ("hold", "constant_velocity")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--size", default="small")
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = PretrainSettings(size=args.size)
    split, validator = split_and_validator(settings, args.dataset)
    print(f"evaluation videos {split.eval_videos}, validation videos {split.val_videos}, "
          f"moving camera {split.moving_camera_videos}, training episodes {len(split.train_episodes)}")
    rows: dict[str, list[dict[str, float]]] = {"evaluation": [], "training (every 4th window)": []}
    for seed in args.seeds:
        curve: list[tuple[int, float]] = []
        with tempfile.TemporaryDirectory() as out:
            result = train(VLAConfig.preset(args.size), settings.train.model_copy(update={"steps": args.steps, "seed": seed}),
                           args.dataset, Path(out), episodes=split.train_episodes, validator=validator,
                           on_step=lambda step, m: curve.append((step, m["val/wrist_ade_cm"])) if "val/loss" in m else None)
            policy = VLAPolicy.load(result.policy_dir)
        print(f"seed {seed}: kept step {result.best_step} of {result.steps} (stopped early: {result.stopped_early}); "
              f"val wrist ADE by step " + " ".join(f"{s}:{v:.2f}" for s, v in curve)
              + f" (hold {result.best_metrics.get('val/hold_wrist_ade_cm', float('nan')):.2f})")
        rows["evaluation"].append(wrist_ade(policy, args.dataset, split.eval_episodes, settings.flow_samples, 1))
        rows["training (every 4th window)"].append(
            wrist_ade(policy, args.dataset, split.train_episodes, settings.flow_samples, 4))
    print(f"\nwrist ADE (cm), mean ± sd over seeds {args.seeds}; model = mean of {settings.flow_samples} flow samples")
    for name, runs in rows.items():
        cells = ", ".join(f"{m} {np.mean([r[m] for r in runs]):.2f} ± {np.std([r[m] for r in runs]):.2f}"
                          for m in runs[0])
        print(f"{name}: {cells}")


if __name__ == "__main__":
    main()
