"""Training of the VLA: a plain PyTorch loop (AdamW, warmup + cosine, clipping, bf16 autocast where supported),
seeded, checkpointed and resumable, single process or under torchrun/DDP. `python -m vitra_core.training --help`.

TrainConfig is light to import; train and TrainResult (torch, transformers) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vitra_core.training.train_config import TrainConfig

if TYPE_CHECKING:
    from vitra_core.training.loop import TrainingError, TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "TrainingError", "train"]


def __getattr__(name: str):
    if name in ("TrainResult", "TrainingError", "train"):
        from vitra_core.training import loop

        return getattr(loop, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
