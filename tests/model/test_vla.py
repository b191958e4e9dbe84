"""The VLA's training targets: masked by hand presence and chunk padding, relative to the current state."""

from __future__ import annotations

import pytest
import torch

from tests.model.conftest import INSTRUCTION
from vitra_core.model import VLA, VLAConfig


@pytest.fixture
def batch() -> dict:
    g = torch.Generator().manual_seed(0)
    state = torch.cat([torch.zeros(2, 51), torch.randn(2, 51, generator=g), torch.tensor([[0.0, 1.0]] * 2)], dim=1)
    action_mask = torch.zeros(2, 16, 2, dtype=torch.bool)
    action_mask[:, :12, 1] = True  # right hand present for 12 steps, then the episode ends
    return {"image": torch.randint(0, 256, (2, 3, 224, 224), generator=g, dtype=torch.uint8),
            "instruction": [INSTRUCTION] * 2, "state": state, "fov": torch.tensor([[60.0, 36.0]] * 2),
            "actions": torch.randn(2, 16, 102, generator=g), "action_mask": action_mask,
            "action_is_pad": torch.arange(16).expand(2, 16) >= 12, "noise": torch.randn(2, 16, 102, generator=g),
            "flow_u": torch.rand(2, generator=g)}


@pytest.fixture
def vla(normaliser) -> VLA:
    torch.manual_seed(0)
    model = VLA(VLAConfig.preset("tiny"))
    model.set_normaliser(normaliser)
    return model


def test_loss_ignores_absent_hands_and_padding(vla, batch):
    error, count = vla(batch)
    assert count.item() == 2 * 12 * 51
    changed = dict(batch, actions=batch["actions"].clone())
    changed["actions"][:, :, :51] += 10.0   # the absent left hand
    changed["actions"][:, 12:, 51:] += 10.0  # steps past the episode end
    torch.testing.assert_close(vla(changed)[0], error)
    changed["actions"][:, 0, 51] += 10.0     # a valid element
    assert vla(changed)[0].item() > error.item() + 1.0


def test_targets_are_relative_to_the_normalised_current_state(vla, batch):
    holding = dict(batch, actions=batch["state"][:, None, :102].expand(2, 16, 102).clone())
    target, weight = vla.targets(holding["state"], holding["actions"], holding["action_mask"], holding["action_is_pad"])
    torch.testing.assert_close(target * weight, torch.zeros_like(target), atol=1e-5, rtol=0)


def test_an_angle_crossing_pi_is_a_small_motion_not_a_full_turn(vla, batch):
    rx = 54  # right wrist rx (rad)
    state = batch["state"].clone()
    state[:, rx] = 3.10
    actions = state[:, None, :102].expand(2, 16, 102).clone()
    actions[:, :, rx] = -3.10  # 0.083 rad further round, written on the other side of +-pi
    target, weight = vla.targets(state, actions, batch["action_mask"], batch["action_is_pad"])
    expected = (2 * torch.pi - 6.20) / vla.delta_rms[rx]
    torch.testing.assert_close(target[:, :12, rx], torch.full((2, 12), expected.item()), atol=1e-4, rtol=0)


def test_a_hand_absent_now_is_predicted_absolutely(vla, batch):
    """The left hand is absent at t: its target is (action - mean) / std even if it shows up later."""
    batch["action_mask"][:, :, 0] = True
    target, _ = vla.targets(batch["state"], batch["actions"], batch["action_mask"], batch["action_is_pad"])
    expected = (batch["actions"][:, :12, :51] - vla.state_mean[:51]) / vla.state_std[:51]
    torch.testing.assert_close(target[:, :12, :51], expected)


def test_a_point_prediction_is_the_mean_of_the_flow_samples(vla, batch):
    """Averaging is done on the head's normalised output; the map to dataset units is affine, so the mean
    chunk equals the mean of the separately generated chunks."""
    vla.eval()
    noise = torch.randn(3, 2, 16, 102, generator=torch.Generator().manual_seed(1))
    args = (batch["image"], batch["instruction"], batch["state"], batch["fov"])
    with torch.no_grad():
        one_by_one = torch.stack([vla.generate(*args, n) for n in noise])
        averaged = vla.generate(*args, noise)
    torch.testing.assert_close(averaged, one_by_one.mean(0), atol=1e-5, rtol=1e-5)
    assert (one_by_one[0] - one_by_one[1]).abs().max() > 1e-3  # the samples differ: the mean is not trivially one
