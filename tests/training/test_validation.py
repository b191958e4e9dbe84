"""Training with a validation set: the step with the best held-out error is the published policy, and the run
stops once `patience` validations in a row found nothing better."""

from __future__ import annotations

import safetensors.torch
import torch

from tests.training.helpers import right_hand_episodes, short_run
from vitra_core.model import VLAConfig
from vitra_core.training import train
from vitra_core.training.checkpoint import BEST_DIR
from vitra_core.training.validation import SELECTION_METRIC, HeldOutValidation


class Scripted:
    """A validator whose held-out errors are given in advance (one per validation)."""

    metric = SELECTION_METRIC

    def __init__(self, errors: list[float]):
        self.errors, self.calls = list(errors), 0

    def __call__(self, policy) -> dict[str, float]:
        self.calls += 1
        return {SELECTION_METRIC: self.errors.pop(0), "val/loss": 1.0}


def weights(folder) -> dict[str, torch.Tensor]:
    return safetensors.torch.load_file(folder / "model.safetensors")


def test_the_best_validated_step_is_kept_and_training_stops_when_it_stops_improving(scratch_build, tmp_path):
    episodes = right_hand_episodes(scratch_build)[:2]
    validator = Scripted([3.0, 2.0, 2.5, 2.6, 1.0])  # best at step 4; steps 6 and 8 are worse: stop at 8
    config = short_run(steps=12, validate_every=2, patience=2, checkpoint_every=100)
    logged = []
    result = train(VLAConfig.preset("tiny"), config, scratch_build, tmp_path, episodes=episodes, validator=validator,
                   on_step=lambda step, metrics: logged.append((step, sorted(metrics))))

    assert (result.steps, result.best_step, result.stopped_early, validator.calls) == (8, 4, True, 4)
    assert result.best_metrics[SELECTION_METRIC] == 2.0
    kept, best = weights(result.policy_dir), weights(tmp_path / BEST_DIR)
    assert all(torch.equal(kept[name], best[name]) for name in kept)
    last = weights(tmp_path / "checkpoints" / "step_000008")
    assert any(not torch.equal(kept[name], last[name]) for name in kept)  # the last step is not what was kept
    assert (2, ["train/grad_norm", "train/loss", "train/lr", "train/samples_per_s"]) in logged
    assert (4, ["val/loss", SELECTION_METRIC, SELECTION_METRIC + "_best"]) in logged

    again = train(VLAConfig.preset("tiny"), config, scratch_build, tmp_path, episodes=episodes, validator=Scripted([]))
    assert (again.steps, again.best_step, again.stopped_early) == (8, 4, True)  # a finished run stays finished


def test_held_out_validation_is_deterministic_and_scores_against_hold(scratch_build):
    from vitra_core.model import Normaliser, VLAPolicy

    episodes = right_hand_episodes(scratch_build)
    torch.manual_seed(0)
    policy = VLAPolicy.create(VLAConfig.preset("tiny"), Normaliser.from_dataset(scratch_build, episodes))
    validation = HeldOutValidation(scratch_build, episodes, chunk_size=16, samples=2, max_windows=8)
    first, second = validation(policy), validation(policy)
    assert len(validation.windows) <= 8
    assert first == second
    assert set(first) == {"val/loss", "val/wrist_ade_cm", "val/joint_angle_deg", "val/hold_wrist_ade_cm"}
    assert all(v > 0 for v in first.values())
