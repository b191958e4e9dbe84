"""One closed-loop measurement of a policy recipe: train on n demos per task, roll out on unseen seeds.

Trains from scratch (`--size` preset plus `--model` JSON overrides, e.g. the keypoint vision encoder) or
from a pretrained policy folder (`--init`) on the first n demos of the chosen tasks of a robot_demos
dataset, then rolls the policy out on seeds 1000.. (the demos use 0..n-1) with a given sampling noise and
execution horizon, each task shown its own camera as in its demos (`Task.view`); prints the Wilson table. The
rows of docs/model.md's recipe tables come from it.

Usage: .venv/bin/python benchmarks/policy_recipe.py --demos-root data/robot_demos --out /tmp/recipe
       [--tasks reach] [--demos 20] [--steps 1500] [--lr 3e-4] [--noise-scale 0] [--execute-steps 8]
       [--model '{"vision": {"model_type": "keypoints"}}'] [--init data/pretrained_vla] [--train-seed 0]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from robot.demos import read_demo_report
from robot.evaluation import EvalSettings, evaluate_policy
from robot.evaluation.benefit import first_demos
from vitra_core.model import VLAConfig, VLAPolicy
from vitra_core.training.loop import train
from vitra_core.training.train_config import TrainConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demos-root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tasks", default="palm_ball,reach,table_grasp", help="trained on and rolled out")
    parser.add_argument("--eval-tasks", default=None, help="rolled out (default: --tasks)")
    parser.add_argument("--demos", type=int, default=20, help="demos per task")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--size", default="small")
    parser.add_argument("--model", default="{}", help="VLAConfig overrides (JSON) for a from-scratch policy")
    parser.add_argument("--init", type=Path, default=None, help="a policy folder to fine-tune")
    parser.add_argument("--renormalise", action="store_true", help="with --init: the normaliser of these demos")
    parser.add_argument("--noise-scale", type=float, default=0.0)
    parser.add_argument("--execute-steps", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=10, help="roll-outs per task: seeds 1000..")
    parser.add_argument("--train-seed", type=int, default=0, help="seeds the initialisation and the batches")
    args = parser.parse_args()

    tasks = args.tasks.split(",")
    demos = read_demo_report(args.demos_root).tasks
    episodes = first_demos({t: demos[t].episode_indices for t in tasks}, args.demos)
    model = VLAConfig.preset(args.size, **json.loads(args.model))
    config = TrainConfig(steps=args.steps, lr=args.lr, warmup_steps=50, checkpoint_every=args.steps,
                         init_from=args.init, seed=args.train_seed, renormalise=args.renormalise)
    started = time.perf_counter()
    result = train(model, config, args.demos_root, args.out, episodes=episodes)
    trained = time.perf_counter()
    policy = VLAPolicy.load(result.policy_dir)
    policy.model.config = policy.config.model_copy(update={"noise_scale": args.noise_scale})
    settings = EvalSettings(tasks=(args.eval_tasks or args.tasks).split(","),
                            seeds=list(range(1000, 1000 + args.seeds)), execute_steps=args.execute_steps)
    report = evaluate_policy(policy, "recipe", settings)
    print(f"{vars(args)}\ntrain {trained - started:.0f} s (final loss {result.final_loss:.4f}), "
          f"roll-outs {time.perf_counter() - trained:.0f} s\n{report.markdown()}")


if __name__ == "__main__":
    main()
