"""Checkpoints: `<out>/checkpoints/step_XXXXXX/` = a loadable VLAPolicy folder + optimizer state + progress.

The weights are the policy's safetensors; the AdamW state is a dict of tensors and numbers written by
torch.save and read back with `weights_only=True` (no arbitrary unpickling); progress is JSON.
There is no scheduler or RNG state to keep: the lr and every random draw are functions of
(seed, step) (see schedule.py and data.py). A checkpoint folder is written aside and renamed into
place, so a run killed mid-write leaves the previous checkpoint as the latest.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

import torch

from vitra_core.errors import FileError
from vitra_core.fsutil import publish_dir
from vitra_core.model import ModelFileError, VLAPolicy
from vitra_core.records import JsonRecord

CHECKPOINTS_DIR = "checkpoints"
BEST_DIR = "best_policy"  # the policy with the best held-out error so far (runs with a validation set)
OPTIMIZER_FILE = "optimizer.pt"
PROGRESS_FILE = "progress.json"


class Progress(JsonRecord):
    """How far a run got: steps done, the loss of every step so far, the run's identity, and with a validation
    set the best held-out figures so far (their weights are in `<out>/best_policy`) and whether it stopped early."""

    SCHEMA_VERSION: ClassVar[int] = 1
    FILE_ERROR: ClassVar[type[FileError]] = ModelFileError

    schema_version: int = 1
    step: int
    losses: list[float]
    seed: int
    batch_size: int
    seconds: float
    best_step: int | None = None
    best_metrics: dict[str, float] = {}
    stale_validations: int = 0
    stopped_early: bool = False


def checkpoint_dir(out_dir: Path, step: int) -> Path:
    return Path(out_dir) / CHECKPOINTS_DIR / f"step_{step:06d}"


def latest_checkpoint(out_dir: Path) -> Path | None:
    """The complete checkpoint with the highest step, if any."""
    done = [p for p in (Path(out_dir) / CHECKPOINTS_DIR).glob("step_*") if (p / PROGRESS_FILE).is_file()]
    return max(done, key=lambda p: p.name) if done else None


def save_checkpoint(out_dir: Path, policy: VLAPolicy, optimizer: torch.optim.Optimizer, progress: Progress,
                    keep: int) -> Path:
    """Write step `progress.step`'s checkpoint, then delete all but the newest `keep`."""
    target = checkpoint_dir(out_dir, progress.step)
    staging = target.parent / f".{target.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    policy.save(staging)
    torch.save(optimizer.state_dict(), staging / OPTIMIZER_FILE)
    progress.save(staging / PROGRESS_FILE)
    publish_dir(staging, target)
    complete = sorted(p for p in target.parent.glob("step_*") if (p / PROGRESS_FILE).is_file())
    for old in complete[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def load_optimizer_state(checkpoint: Path) -> dict:
    path = checkpoint / OPTIMIZER_FILE
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as exc:
        raise ModelFileError(path, f"not a readable optimizer state ({exc})") from exc
