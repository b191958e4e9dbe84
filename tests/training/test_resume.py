"""Checkpoints: a run stopped mid-way resumes from its last checkpoint and continues exactly as if never stopped."""

from __future__ import annotations

import json

import pytest
import safetensors.torch
import torch

from tests.training.helpers import right_hand_episodes, short_run
from vitra_core.model import VLAConfig, VLAPolicy
from vitra_core.training import TrainingError, train
from vitra_core.training.checkpoint import OPTIMIZER_FILE, PROGRESS_FILE


class Stop(Exception):
    """Stands in for a kill: raised from the step callback after step 10 (checkpoints at 4 and 8)."""


def stop_after(step: int):
    def on_step(done: int, metrics: dict[str, float]) -> None:
        if done == step:
            raise Stop

    return on_step


def test_a_stopped_run_resumes_from_its_last_checkpoint_with_the_same_losses(scratch_build, tmp_path):
    episodes = right_hand_episodes(scratch_build)[:2]
    model, config = VLAConfig.preset("tiny"), short_run()
    whole = train(model, config, scratch_build, tmp_path / "whole", episodes=episodes)

    with pytest.raises(Stop):
        train(model, config, scratch_build, tmp_path / "stopped", episodes=episodes, on_step=stop_after(10))
    checkpoints = sorted(p.name for p in (tmp_path / "stopped" / "checkpoints").iterdir())
    assert checkpoints == ["step_000004", "step_000008"]
    seen = []
    resumed = train(model, config, scratch_build, tmp_path / "stopped", episodes=episodes,
                    on_checkpoint=lambda step, folder: seen.append(step))

    assert seen == [12]
    assert len(resumed.losses) == 12
    assert resumed.losses == pytest.approx(whole.losses, abs=1e-6)
    first = safetensors.torch.load_file(whole.policy_dir / "model.safetensors")
    second = safetensors.torch.load_file(resumed.policy_dir / "model.safetensors")
    assert all(torch.allclose(first[name], second[name], atol=1e-6) for name in first)


def test_a_checkpoint_is_a_policy_folder_plus_safely_loadable_optimizer_state(scratch_build, tmp_path):
    episodes = right_hand_episodes(scratch_build)[:1]
    train(VLAConfig.preset("tiny"), short_run(steps=4, keep_checkpoints=1, checkpoint_every=2), scratch_build,
          tmp_path, episodes=episodes)
    (checkpoint,) = (tmp_path / "checkpoints").iterdir()  # step 2 was pruned
    assert checkpoint.name == "step_000004"
    VLAPolicy.load(checkpoint)
    state = torch.load(checkpoint / OPTIMIZER_FILE, weights_only=True)
    assert {int(s["step"]) for s in state["state"].values()} == {4}
    assert json.loads((checkpoint / PROGRESS_FILE).read_text())["step"] == 4


def test_resuming_with_another_seed_is_refused(scratch_build, tmp_path):
    episodes = right_hand_episodes(scratch_build)[:1]
    train(VLAConfig.preset("tiny"), short_run(steps=2, checkpoint_every=2), scratch_build, tmp_path, episodes=episodes)
    with pytest.raises(TrainingError, match="seed 0"):
        train(VLAConfig.preset("tiny"), short_run(steps=4, seed=1), scratch_build, tmp_path, episodes=episodes)
