"""The flow-matching head: sampling integrates to the denoised chunk; the loss counts only valid elements."""

from __future__ import annotations

import torch

from vitra_core.model.flow import FlowMatchingHead, flow_time


def make_head() -> FlowMatchingHead:
    torch.manual_seed(0)
    return FlowMatchingHead(chunk_size=16, action_dim=102, cond_width=8, width=16, layers=1, heads=2)


def test_sampling_ends_on_the_chunk_the_head_predicts():
    head = make_head()
    chunk = torch.randn(3, 16, 102)
    head.denoise = lambda x_t, t, cond: chunk  # a perfect denoiser of one answer
    out = head.sample(torch.zeros(3, 8), torch.randn(3, 16, 102), steps=5)
    torch.testing.assert_close(out, chunk)


def test_loss_sums_only_weighted_elements():
    head = make_head()
    cond, noise, u, target = torch.randn(2, 8), torch.randn(2, 16, 102), torch.rand(2), torch.randn(2, 16, 102)
    weight = torch.zeros(2, 16, 102)
    weight[0, :10, 51:] = 1  # right hand of sample 0, first 10 steps
    error, count = head.loss_terms(cond, target, weight, noise, u)
    zero_error, _ = head.loss_terms(cond, target, torch.zeros_like(weight), noise, u)
    assert count.item() == 10 * 51 and error.item() > 0 and zero_error.item() == 0


def test_flow_time_maps_uniform_draws_onto_0_1_favouring_the_noisy_end():
    t = flow_time(torch.linspace(0, 1, 1001))
    assert t[0] == 0 and t[-1] == 1 and torch.all(t[1:] >= t[:-1])
    assert (t < 0.5).float().mean() > 0.6
