"""Pretraining on the human episodes and its zero-shot evaluation on held-out videos.

The same functions serve the Dagster assets (`pretrained_vla`, `vla_eval`) and `vitra train pretrain`
(the DVC stage `pretrain`). The split is made once, at training, and stored in the training record,
so evaluation always uses videos the model never saw.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vitra_core.config import VitraConfig
from vitra_core.episodes.stage import EPISODES_DIR, EPISODES_STAGE
from vitra_core.training.evaluation import (
    ActionErrors, errors_table, eval_samples, evaluate_action_prediction, policy_predictor,
)
from vitra_core.training.job import TrainingRecord, read_training_record, run_training_job
from vitra_core.training.promotion import Comparison, PromotionGate
from vitra_core.training.settings import PretrainSettings
from vitra_core.training.split import VideoSplit, episodes_of_videos, split_dataset
from vitra_core.training.tracking import DatasetRef, TrackingTarget, TrainingRun, promote, tracking_target
from vitra_core.versioning.dvc_store import dvc_store_for

if TYPE_CHECKING:
    from vitra_core.training.loop import Validator

PRETRAINED_DIR = "pretrained_vla"
PRETRAIN_STAGE = "pretrain"  # its dvc.yaml stage
CODE_VERSION = "pretrain-v2-val"  # v2: train/val/eval split by video, best held-out step kept, early stopping
EVAL_CODE_VERSION = "vla-eval-v3-mean"  # v3: mean of several flow samples, egocentric clip held out
CHAMPION_METRIC = "eval/model/wrist_ade_cm"  # lower is better
BASELINES = ("hold", "constant_velocity")  # what the VLA must beat on held-out wrist ADE to be promoted


def split_and_validator(settings: PretrainSettings, root: Path) -> tuple[VideoSplit, "Validator | None"]:
    """The split by video of the dataset at `root`, and the validator over its validation videos (None when
    there are too few videos to validate on)."""
    from vitra_core.model import VLAConfig
    from vitra_core.training.validation import HeldOutValidation

    split = split_dataset(root, settings.eval_fraction, settings.val_fraction, settings.split_seed)
    if not split.val_episodes:
        return split, None
    chunk_size = VLAConfig.preset(settings.size, **settings.model).chunk_size
    return split, HeldOutValidation(root, split.val_episodes, chunk_size, settings.flow_samples, settings.val_windows)


def pretrain(settings: PretrainSettings, dataset: DatasetRef, out_dir: Path, runs_root: Path,
             tracking: TrackingTarget, repo_root: Path, links: dict[str, str] | None = None) -> TrainingRecord:
    """Train on the training videos, keeping the step with the best validation error; register the policy
    as a `candidate`. The split is stored in the training record, so vla_eval judges on unseen videos."""
    split, validator = split_and_validator(settings, dataset.root)
    return run_training_job(
        settings, name="pretrain", dataset=dataset, episodes=split.train_episodes, out_dir=out_dir,
        runs_root=runs_root, tracking=tracking, repo_root=repo_root, extra={"split": split.model_dump()},
        held_out={"validation": split.val_episodes, "evaluation": split.eval_episodes}, validator=validator,
        links=links,
    )


def vla_gate(errors: dict[str, ActionErrors]) -> PromotionGate:
    """The model's held-out wrist ADE must beat (be lower than) both baselines': holding the hand still
    and moving it at constant velocity. A model that cannot is no better than doing nothing."""
    return PromotionGate(comparisons=[
        Comparison(metric="wrist ADE (cm)", against=baseline, candidate=errors["model"].wrist_ade_cm,
                   reference=errors[baseline].wrist_ade_cm, higher_is_better=False)
        for baseline in BASELINES])


def record_vla_evaluation(record: TrainingRecord, errors: dict[str, ActionErrors],
                          tracking: TrackingTarget) -> tuple[PromotionGate, bool]:
    """Log the errors to the training run, judge the gate, and move `champion` to this version only if it
    passes and beats the current champion's wrist ADE. Returns (gate, promoted)."""
    run = TrainingRun.resume(tracking, record.run_id)
    for method, e in errors.items():
        run.log_metrics(e.model_dump(exclude={"hand_chunks"}), prefix=f"eval/{method}/")
    run.log_text(errors_table(errors), "eval/vla_eval.md")
    run.log_dict({m: e.model_dump() for m, e in errors.items()}, "eval/vla_eval.json")
    gate = vla_gate(errors)
    return gate, promote(tracking.uri, record.model_name, record.model_version, gate, CHAMPION_METRIC,
                         higher_is_better=False)


def evaluate_pretrained(policy_dir: Path, dataset_root: Path, tracking: TrackingTarget,
                        flow_samples: int) -> tuple[dict[str, ActionErrors], PromotionGate, bool]:
    """Errors on the evaluation videos (each chunk the mean of `flow_samples` flow samples) beside the
    baselines, logged to the training run; `champion` moves to this version only if it beats both baselines
    and the current champion. Returns (errors, gate, promoted)."""
    from vitra_core.episodes.loader import EpisodeWindowDataset
    from vitra_core.model import VLAPolicy

    record = read_training_record(policy_dir)
    policy = VLAPolicy.load(policy_dir)
    eval_episodes = episodes_of_videos(dataset_root, record.extra["split"]["eval_videos"])
    dataset = EpisodeWindowDataset(dataset_root, chunk_size=policy.spec.chunk_size, episodes=eval_episodes)
    errors = evaluate_action_prediction(policy_predictor(policy, flow_samples), eval_samples(dataset))
    gate, promoted = record_vla_evaluation(record, errors, tracking)
    return errors, gate, promoted


def pretrain_stage(cfg: VitraConfig, links: dict[str, str] | None = None) -> TrainingRecord:
    """The `pretrain` stage as configured: data/episodes (at its dvc.lock version) -> data/pretrained_vla."""
    root = cfg.data_root / EPISODES_DIR
    version = dvc_store_for(cfg).locked_outs(EPISODES_STAGE)[f"data/{EPISODES_DIR}"]
    return pretrain(
        cfg.pretrain, DatasetRef(name="episodes", root=root, version=version, version_kind="dvc_md5"),
        out_dir=cfg.data_root / PRETRAINED_DIR, runs_root=cfg.runs_dir, tracking=tracking_target(cfg),
        repo_root=cfg.resolve(cfg.dvc.repo_root), links=links,
    )
