"""The model can learn: `tiny` memorises one real episode, its loss falling by at least 90%."""

from __future__ import annotations

import numpy as np
import pytest

from tests.training.helpers import right_hand_episodes
from vitra_core.model import VLAConfig
from vitra_core.training import TrainConfig, train


@pytest.mark.slow
def test_tiny_overfits_one_real_episode(scratch_build, tmp_path):
    episode = right_hand_episodes(scratch_build)[0]
    config = TrainConfig(steps=400, batch_size=16, lr=3e-3, warmup_steps=20, checkpoint_every=400, log_every=50)
    result = train(VLAConfig.preset("tiny"), config, scratch_build, tmp_path / "run", episodes=[episode])
    losses = np.array(result.losses)
    assert len(losses) == 400 and np.isfinite(losses).all()
    start, end = losses[:5].mean(), losses[-20:].mean()  # per-step losses vary with the flow time drawn
    assert end <= 0.1 * start, f"loss {start:.3f} -> {end:.3f}"
