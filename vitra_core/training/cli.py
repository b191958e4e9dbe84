"""The training command line: one process, or one of many under torchrun (every rank runs the same command)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from vitra_core.errors import VitraError
from vitra_core.model.config import PRESETS, VLAConfig
from vitra_core.training.train_config import TrainConfig

EXAMPLES = """examples:
  python -m vitra_core.training --size small --dataset data/episodes --out runs/small
  python -m vitra_core.training --model-config model.yaml --train-config train.yaml --dataset D --out O --episodes 0 1 2
  torchrun --nproc_per_node 2 -m vitra_core.training --size small --train-config train.yaml --dataset D --out O

A model YAML holds VLAConfig fields; with `size: tiny|small|base` they override that preset.
A train YAML holds TrainConfig fields (steps, batch_size (global), lr, warmup_steps, checkpoint_every, ...).
An out folder with checkpoints is resumed from its latest one. The policy is written to <out>/policy.
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m vitra_core.training", description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--model-config", type=Path, help="YAML/JSON of VLAConfig fields")
    model.add_argument("--size", choices=sorted(PRESETS), help="a model size preset")
    parser.add_argument("--train-config", type=Path, help="YAML/JSON of TrainConfig fields (default: TrainConfig())")
    parser.add_argument("--dataset", type=Path, required=True, help="an episode dataset folder (LeRobot format)")
    parser.add_argument("--out", type=Path, required=True, help="run folder: checkpoints/ and policy/")
    parser.add_argument("--episodes", type=int, nargs="+", help="train on these episode indices only")
    parser.add_argument("--steps", type=int, help="override the train config's steps")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rank = int(os.environ.get("RANK", "0"))
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING,
                        format=f"%(asctime)s rank{rank} %(levelname)s %(message)s")
    try:
        model_config = VLAConfig.preset(args.size) if args.size else VLAConfig.from_file(args.model_config)
        train_config = TrainConfig.from_file(args.train_config) if args.train_config else TrainConfig()
        if args.steps is not None:
            train_config = train_config.model_copy(update={"steps": args.steps})
        from vitra_core.training.loop import train  # torch-heavy

        result = train(model_config, train_config, args.dataset, args.out, episodes=args.episodes)
    except VitraError as exc:
        sys.exit(f"error: {exc}")
    if rank == 0:
        print(json.dumps(result.model_dump(mode="json", exclude={"losses", "normaliser"})))
