"""Typed settings of the training jobs (`pretrain:` and `finetune:` in configs/); light to import."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TrainingJobSettings(BaseModel):
    """What to train and where to record it."""

    model_config = ConfigDict(extra="forbid")

    size: Literal["tiny", "small", "base"] = "small"
    model: dict[str, Any] = Field(default_factory=dict, description="VLAConfig fields overriding the size preset")
    train: dict[str, Any] = Field(default_factory=dict, description="TrainConfig fields (steps, batch_size, lr, ...)")
    experiment: str
    registered_model: str


class PretrainSettings(TrainingJobSettings):
    experiment: str = "vitra-pretrain"
    registered_model: str = "vitra-vla"
    eval_fraction: float = Field(0.25, gt=0, lt=1, description="share of source videos held out for vla_eval")
    split_seed: int = 0
