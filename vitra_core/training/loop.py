"""train(): the plain PyTorch training loop, single process or under torchrun (DDP), resumable.

Read top to bottom: find where to start (latest checkpoint, a policy to fine-tune, or fresh weights),
build the step-indexed data stream, then per step: set the lr, forward, backward, clip, AdamW step,
report, validate (with a validator: keep the best policy, stop once it stops improving), checkpoint. The loss is the flow-matching error summed over all ranks' valid elements divided
by their total count, so the gradient equals the single-process gradient of the same global batch.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Callable, Protocol

import torch
from pydantic import BaseModel
from torch.nn.parallel import DistributedDataParallel

from vitra_core.errors import VitraError
from vitra_core.fsutil import publish_dir
from vitra_core.model import Normaliser, VLAConfig, VLAPolicy
from vitra_core.training.checkpoint import (
    BEST_DIR,
    PROGRESS_FILE,
    Progress,
    latest_checkpoint,
    load_optimizer_state,
    save_checkpoint,
)
from vitra_core.training.data import StepBatchSampler, step_loader, window_dataset
from vitra_core.training.distributed import World, join_world
from vitra_core.training.schedule import lr_factor
from vitra_core.training.train_config import TrainConfig

logger = logging.getLogger(__name__)

POLICY_DIR = "policy"
ADAM_BETAS = (0.9, 0.95)


class TrainingError(VitraError):
    """A run cannot start or continue as asked."""


class Validator(Protocol):
    """Held-out figures of a policy ({"val/...": value}); `metric` names the one to minimise."""

    metric: str

    def __call__(self, policy: VLAPolicy) -> dict[str, float]: ...


class TrainResult(BaseModel):
    """`policy_dir` holds the policy with the best held-out `metric` when a validator was given, else the last."""

    policy_dir: Path
    steps: int
    final_loss: float
    losses: list[float]
    normaliser: dict
    seconds: float
    best_step: int | None = None
    best_metrics: dict[str, float] = {}
    stopped_early: bool = False


def _starting_point(model_config: VLAConfig, cfg: TrainConfig, dataset_root: Path, episodes: list[int] | None,
                    out_dir: Path, device: torch.device) -> tuple[VLAPolicy, Progress, dict | None]:
    """(policy, progress so far, optimizer state or None): the latest checkpoint, else init_from, else fresh."""
    checkpoint = latest_checkpoint(out_dir)
    if checkpoint is not None:
        progress = Progress.load(checkpoint / PROGRESS_FILE)
        if (progress.seed, progress.batch_size) != (cfg.seed, cfg.batch_size):
            raise TrainingError(f"{out_dir}: holds a run with seed {progress.seed} and batch_size "
                                f"{progress.batch_size}; resuming it with seed {cfg.seed}, batch_size "
                                f"{cfg.batch_size} would mix two runs")
        logger.info("resuming from %s", checkpoint)
        return VLAPolicy.load(checkpoint, str(device)), progress, load_optimizer_state(checkpoint)
    fresh = Progress(step=0, losses=[], seed=cfg.seed, batch_size=cfg.batch_size, seconds=0.0)
    torch.manual_seed(cfg.seed)  # the initial weights
    if cfg.init_from is not None:
        policy = VLAPolicy.load(cfg.init_from, str(device))
        nested = {"vision", "language"}
        if policy.config.model_dump(exclude=nested) != model_config.model_dump(exclude=nested):
            logger.warning("init_from %s: its own model config is used, not the one given", cfg.init_from)
        if cfg.renormalise:
            policy = VLAPolicy(policy.model, Normaliser.from_dataset(dataset_root, episodes))
        return policy, fresh, None
    return VLAPolicy.create(model_config, Normaliser.from_dataset(dataset_root, episodes), str(device)), fresh, None


def _optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW; weight decay on matrices only (not on biases, norms or scalars), as nanoGPT."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=ADAM_BETAS)


def _use_bf16(setting: str | bool, device: torch.device) -> bool:
    if setting == "auto":
        return device.type == "cuda" and torch.cuda.is_bf16_supported()
    return bool(setting)


def _to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}


def train(model_config: VLAConfig, train_config: TrainConfig, dataset_root: Path, out_dir: Path,
          episodes: list[int] | None = None, on_step: Callable[[int, dict[str, float]], None] | None = None,
          on_checkpoint: Callable[[int, Path], None] | None = None,
          validator: Validator | None = None) -> TrainResult:
    """Train (or resume training) and save the policy to `<out_dir>/policy`.

    on_step(step, metrics) gets train/loss, train/lr, train/grad_norm, train/samples_per_s every `log_every`
    steps, and the validator's val/... figures every `validate_every` steps (rank 0 only);
    on_checkpoint(step, folder) after each checkpoint is written (rank 0 only). `step` counts finished steps.
    With a validator, the published policy is the one with its lowest `metric`, and with `patience` the run
    stops once that many validations in a row found nothing better (every rank validates, so all agree).
    """
    world = join_world()
    try:
        return _train(world, model_config, train_config, Path(dataset_root), Path(out_dir), episodes, on_step,
                      on_checkpoint, validator)
    finally:
        world.close()


def _train(world: World, model_config: VLAConfig, cfg: TrainConfig, dataset_root: Path, out_dir: Path,
           episodes: list[int] | None, on_step: Callable[[int, dict[str, float]], None] | None,
           on_checkpoint: Callable[[int, Path], None] | None, validator: Validator | None) -> TrainResult:
    started = time.perf_counter()
    policy, progress, optimizer_state = _starting_point(model_config, cfg, dataset_root, episodes, out_dir,
                                                        world.device)
    model = policy.model.train()
    network = DistributedDataParallel(model) if world.world_size > 1 else model
    optimizer = _optimizer(model, cfg)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    params = [p for group in optimizer.param_groups for p in group["params"]]
    windows = window_dataset(dataset_root, policy.config.chunk_size, episodes, cfg.augment)
    end_step = progress.step if progress.stopped_early else cfg.steps
    sampler = StepBatchSampler(len(windows), cfg.batch_size, end_step, cfg.seed, progress.step, world.rank,
                               world.world_size)
    bf16 = _use_bf16(cfg.bf16, world.device)
    losses = list(progress.losses)
    tick = time.perf_counter()
    for step, batch in enumerate(step_loader(windows, sampler, cfg.num_workers), start=progress.step):
        lr = cfg.lr * lr_factor(step, cfg.steps, cfg.warmup_steps, cfg.min_lr_ratio)
        for group in optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast(world.device.type, dtype=torch.bfloat16, enabled=bf16):
            error_sum, weight_sum = network(_to_device(batch, world.device))
        total_weight = world.all_reduce_sum(weight_sum.detach().float().clone()).clamp(min=1.0)
        (error_sum.float() / total_weight * world.world_size).backward()  # DDP averages gradients over ranks
        grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss = (world.all_reduce_sum(error_sum.detach().float().clone()) / total_weight).item()
        losses.append(loss)
        done, now = step + 1, time.perf_counter()
        metrics = {"train/loss": loss, "train/lr": lr, "train/grad_norm": float(grad_norm),
                   "train/samples_per_s": cfg.batch_size / (now - tick)}
        if world.is_main and (done % cfg.log_every == 0 or done == cfg.steps):
            logger.info("step %d/%d %s", done, cfg.steps, " ".join(f"{k} {v:.4g}" for k, v in metrics.items()))
            if on_step is not None:
                on_step(done, metrics)
        if validator is not None and (done % cfg.validate_every == 0 or done == cfg.steps):
            progress = _validate(world, validator, policy, progress, done, cfg, out_dir, on_step)
        if done % cfg.checkpoint_every == 0 or done == cfg.steps or progress.stopped_early:
            if world.is_main:
                state = progress.model_copy(update={"step": done, "losses": losses,
                                                    "seconds": progress.seconds + time.perf_counter() - started})
                folder = save_checkpoint(out_dir, policy, optimizer, state, cfg.keep_checkpoints)
                if on_checkpoint is not None:
                    on_checkpoint(done, folder)
            world.barrier()
        tick = time.perf_counter()  # validation and checkpoints are not training throughput
        if progress.stopped_early:
            logger.info("stopping at step %d: no better %s in %d validations (best at step %d)", done,
                        validator.metric, progress.stale_validations, progress.best_step)
            break
    policy_dir = out_dir / POLICY_DIR
    if world.is_main:
        if progress.best_step is not None:
            shutil.rmtree(policy_dir, ignore_errors=True)
            shutil.copytree(out_dir / BEST_DIR, policy_dir)
        else:
            policy.save(policy_dir)
    world.barrier()
    if not losses:
        raise TrainingError(f"{out_dir}: no training step was run (steps {cfg.steps})")
    seconds = progress.seconds + time.perf_counter() - started
    return TrainResult(policy_dir=policy_dir, steps=len(losses), final_loss=losses[-1], losses=losses,
                       normaliser=policy.normaliser.model_dump(), seconds=seconds, best_step=progress.best_step,
                       best_metrics=progress.best_metrics, stopped_early=progress.stopped_early)


def _validate(world: World, validator: Validator, policy: VLAPolicy, progress: Progress, done: int,
              cfg: TrainConfig, out_dir: Path, on_step: Callable[[int, dict[str, float]], None] | None) -> Progress:
    """Validate after step `done`; keep the policy in `<out_dir>/best_policy` if it is the best so far.
    Returns the progress with the best figures, the count of validations without improvement, and whether to stop."""
    figures = validator(policy)
    value = figures[validator.metric]
    if progress.best_step is None or value < progress.best_metrics[validator.metric]:
        if world.is_main:
            staging = out_dir / f".{BEST_DIR}.staging"
            shutil.rmtree(staging, ignore_errors=True)
            policy.save(staging)
            publish_dir(staging, out_dir / BEST_DIR)
        world.barrier()
        progress = progress.model_copy(update={"best_step": done, "best_metrics": figures, "stale_validations": 0})
    else:
        progress = progress.model_copy(update={"stale_validations": progress.stale_validations + 1})
    if world.is_main:
        logger.info("step %d %s", done, " ".join(f"{k} {v:.4g}" for k, v in figures.items()))
        if on_step is not None:
            on_step(done, {**figures, f"{validator.metric}_best": progress.best_metrics[validator.metric]})
    stop = cfg.patience is not None and progress.stale_validations >= cfg.patience and done < cfg.steps
    return progress.model_copy(update={"stopped_early": stop})
