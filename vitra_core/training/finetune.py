"""Fine-tuning the pretrained VLA on robot demonstrations, with a from-scratch control.

Both runs see the same demos, model size and optimisation budget; only the starting weights differ,
so `policy_eval` measures what human-video pretraining buys. The same code serves the Dagster asset
`finetuned_policy` and `vitra train finetune`.
"""

from __future__ import annotations

from pathlib import Path

from vitra_core.config import VitraConfig
from vitra_core.episodes.meta import DatasetMeta
from vitra_core.training.job import TrainingRecord, read_training_record, run_training_job
from vitra_core.training.pretrain import PRETRAINED_DIR
from vitra_core.training.tracking import DatasetRef, tracking_target

FINETUNED_DIR = "finetuned_policy"
SCRATCH_DIR = "scratch_policy"
SCRATCH_SUFFIX = "-scratch"
CODE_VERSION = "finetune-v2"  # v2: 1500 steps (was 600), zero-noise sampling


def finetune_stage(cfg: VitraConfig, demos_root: Path, demos_fingerprint: str,
                   links: dict[str, str] | None = None) -> tuple[TrainingRecord, TrainingRecord]:
    """Train the fine-tuned policy (from data/pretrained_vla) and its from-scratch control on every demo
    episode; publish them to data/finetuned_policy and data/scratch_policy. Returns (fine-tuned, control).
    `links`: tags linking both MLflow runs to the Dagster run and asset."""
    from vitra_core.model import VLAConfig, VLAPolicy

    settings = cfg.finetune
    pretrained_dir = cfg.data_root / PRETRAINED_DIR
    pretrained = read_training_record(pretrained_dir)
    episodes = sorted(DatasetMeta.load(demos_root).episodes)
    demos = DatasetRef(name="robot_demos", root=demos_root, version=demos_fingerprint, version_kind="fingerprint")
    common = dict(dataset=demos, episodes=episodes, runs_root=cfg.runs_dir, tracking=tracking_target(cfg),
                  repo_root=cfg.resolve(cfg.dvc.repo_root), links=links)
    pretrained_link = {"pretrained": {"model": pretrained.model_name, "version": pretrained.model_version,
                                      "run_id": pretrained.run_id}}
    same_model = VLAConfig.model_validate_json((pretrained_dir / VLAPolicy.CONFIG_FILE).read_text())
    finetuned = run_training_job(settings, name="finetune", out_dir=cfg.data_root / FINETUNED_DIR,
                                 init_from=pretrained_dir, model_config=same_model, extra=pretrained_link, **common)
    control_settings = settings.model_copy(update={"registered_model": settings.registered_model + SCRATCH_SUFFIX})
    control = run_training_job(control_settings, name="finetune_scratch", out_dir=cfg.data_root / SCRATCH_DIR,
                               model_config=same_model, extra={"control_for": "finetune"}, **common)
    return finetuned, control
