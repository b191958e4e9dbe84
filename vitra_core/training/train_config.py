"""TrainConfig: the optimisation settings of one training run (light to import: pydantic only)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vitra_core.episodes.augment import AugmentSettings
from vitra_core.errors import ConfigError


class TrainConfig(BaseModel):
    """AdamW with linear warmup then cosine decay, gradient clipping, seeded; batch_size is the GLOBAL batch
    (split evenly over DDP ranks), so a run's losses do not depend on how many processes share it."""

    model_config = ConfigDict(extra="forbid")

    steps: int = Field(1500, ge=1)
    batch_size: int = Field(32, ge=1, description="global: samples per optimizer step over all ranks")
    lr: float = Field(1e-3, gt=0)
    min_lr_ratio: float = Field(0.05, ge=0, le=1, description="the cosine ends at lr * min_lr_ratio")
    weight_decay: float = Field(0.01, ge=0)
    warmup_steps: int = Field(100, ge=0)
    grad_clip: float = Field(1.0, gt=0)
    seed: int = 0
    bf16: Literal["auto"] | bool = Field("auto", description="auto: on CUDA with bf16 support, off on CPU")
    checkpoint_every: int = Field(500, ge=1)
    keep_checkpoints: int = Field(2, ge=1, description="older step_* folders are deleted")
    log_every: int = Field(10, ge=1, description="on_step is called every log_every steps and at the last")
    validate_every: int = Field(100, ge=1, description="with a validation set: steps between held-out validations")
    patience: int | None = Field(4, ge=1, description="with a validation set: stop after this many validations "
                                                     "without a better held-out error (None: run every step); the "
                                                     "held-out error of one validation to the next varies by ~1 cm on "
                                                     "the sample corpus, so one worse figure is no reason to stop")
    num_workers: int = Field(0, ge=0, description="DataLoader workers (0: the in-memory dataset needs none)")
    augment: AugmentSettings = AugmentSettings()
    init_from: Path | None = Field(None, description="a VLAPolicy folder to fine-tune (its weights and normaliser)")
    renormalise: bool = Field(False, description="with init_from: recompute the normaliser from this dataset")

    @classmethod
    def from_file(cls, path: Path) -> "TrainConfig":
        """A YAML (or JSON) file of TrainConfig fields."""
        try:
            return cls.model_validate(yaml.safe_load(Path(path).read_text()) or {})
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigError(f"{path}: not a training config ({exc})") from exc
