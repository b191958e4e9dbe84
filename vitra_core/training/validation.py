"""Held-out validation during training: the flow-matching loss and the point-prediction error on videos
the model does not train on, so the loop can keep the best checkpoint and stop when it stops improving.

The training loss keeps falling while a small model memorises its few videos; only an error on unseen
videos says when to stop. Both figures are deterministic (fixed noise and flow times per window, no
augmentation), so successive validations differ only by the weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vitra_core.episodes.loader import EpisodeWindowDataset
from vitra_core.training.evaluation import EvalSample, eval_samples, evaluate_action_prediction, policy_predictor

SELECTION_METRIC = "val/wrist_ade_cm"  # what the best checkpoint is chosen by (lower is better): vla_eval's figure


class HeldOutValidation:
    """Validation over every `stride`-th window of `episodes` (neighbouring windows are nearly the same);
    call it with a VLAPolicy for {"val/loss", "val/wrist_ade_cm", "val/joint_angle_deg", "val/hold_wrist_ade_cm"}."""

    metric = SELECTION_METRIC

    def __init__(self, root: Path, episodes: list[int], chunk_size: int, samples: int, max_windows: int = 256,
                 seed: int = 0):
        dataset = EpisodeWindowDataset(root, chunk_size=chunk_size, episodes=episodes,
                                       cache_episodes=max(1, len(episodes)))
        stride = max(1, -(-len(dataset) // max_windows))
        every = list(eval_samples(dataset))
        self.windows: list[EvalSample] = every[::stride]
        self.samples = samples
        generator = torch.Generator().manual_seed(seed)
        self.noise = torch.randn(len(self.windows), chunk_size, every[0].actions.shape[1], generator=generator)
        self.flow_u = torch.rand(len(self.windows), generator=generator)

    def loss(self, policy, batch_size: int = 64) -> float:
        """The training objective on the held-out windows (the same noise and t every time)."""
        model = policy.model
        was_training = model.training
        model.eval()
        error, weight = 0.0, 0.0
        try:
            with torch.inference_mode():
                for start in range(0, len(self.windows), batch_size):
                    part = self.windows[start:start + batch_size]
                    batch = {
                        "image": torch.from_numpy(np.stack([s.image.transpose(2, 0, 1) for s in part])),
                        "instruction": [s.instruction for s in part],
                        "state": torch.from_numpy(np.stack([s.state for s in part])),
                        "fov": torch.from_numpy(np.stack([s.fov_deg for s in part])),
                        "actions": torch.from_numpy(np.stack([s.actions for s in part])),
                        "action_mask": torch.from_numpy(np.stack([s.action_mask for s in part])),
                        # the mask is already False past an episode's end
                        "action_is_pad": torch.zeros(len(part), len(part[0].actions), dtype=torch.bool),
                        "noise": self.noise[start:start + batch_size], "flow_u": self.flow_u[start:start + batch_size],
                    }
                    e, w = model({k: v.to(policy.device) if isinstance(v, torch.Tensor) else v
                                  for k, v in batch.items()})
                    error, weight = error + float(e), weight + float(w)
        finally:
            model.train(was_training)
        return error / max(weight, 1.0)

    def __call__(self, policy) -> dict[str, float]:
        errors = evaluate_action_prediction(policy_predictor(policy, self.samples), self.windows)
        return {"val/loss": self.loss(policy), "val/wrist_ade_cm": errors["model"].wrist_ade_cm,
                "val/joint_angle_deg": errors["model"].joint_angle_deg,
                "val/hold_wrist_ade_cm": errors["hold"].wrist_ade_cm}
