"""Shared settings of the training tests: the tiny model and a short run."""

from __future__ import annotations

from pathlib import Path

from vitra_core.episodes.meta import DatasetMeta
from vitra_core.training import TrainConfig


def short_run(**overrides) -> TrainConfig:
    settings = {"steps": 12, "batch_size": 8, "lr": 3e-3, "warmup_steps": 3, "checkpoint_every": 4, "log_every": 1}
    return TrainConfig(**{**settings, **overrides})


def right_hand_episodes(root: Path, video_id: str = "handlandmark") -> list[int]:
    """The right-hand episodes cut from one fixture clip (the MediaPipe hand-landmark sample)."""
    meta = DatasetMeta.load(root)
    return [i for i, e in sorted(meta.episodes.items()) if e["video_id"] == video_id and e["hand"] == "right"]
