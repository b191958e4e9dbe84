"""Training batches are a function of (seed, step): ranks split each global batch; restarts see the same batches."""

from __future__ import annotations

import numpy as np
import pytest

from tests.training.helpers import right_hand_episodes
from vitra_core.episodes import EpisodeWindowDataset
from vitra_core.model import Normaliser
from vitra_core.model.normaliser import FOV_MIN_SCALE_DEG
from vitra_core.training.data import StepBatchSampler


def test_ranks_take_disjoint_shares_that_make_up_the_single_process_batch():
    single = StepBatchSampler(num_samples=50, global_batch=8, steps=20, seed=3)
    ranks = [StepBatchSampler(50, 8, 20, 3, rank=r, world_size=2) for r in range(2)]
    for step in (0, 6, 13):
        whole = single.batch(step)
        assert ranks[0].batch(step) == whole[0::2] and ranks[1].batch(step) == whole[1::2]


def test_every_sample_appears_once_per_epoch_and_a_restart_continues_the_stream():
    sampler = StepBatchSampler(num_samples=24, global_batch=8, steps=6, seed=0)
    batches = list(sampler)
    first_epoch = [index for batch in batches[:3] for index, _ in batch]
    assert sorted(first_epoch) == list(range(24))
    assert [index for index, _ in batches[3]] != [index for index, _ in batches[0]]  # a new permutation
    assert list(StepBatchSampler(24, 8, 6, 0, start_step=4)) == batches[4:]
    assert len({seed for batch in batches for _, seed in batch}) == 48  # one seed per stream position


def test_a_global_batch_that_does_not_split_evenly_is_refused():
    with pytest.raises(ValueError, match="batch_size 9"):
        StepBatchSampler(10, 9, 5, 0, rank=0, world_size=2)


def test_normaliser_of_an_episode_subset_uses_only_those_frames_and_present_hands(scratch_build):
    episodes = right_hand_episodes(scratch_build)[:2]
    windows = EpisodeWindowDataset(scratch_build, episodes=episodes)
    states = np.stack([windows.window(e, t)["state"] for e, n in zip(episodes, windows.lengths) for t in range(n)])
    right = states[states[:, 103] > 0.5, 51:102]
    normaliser = Normaliser.from_dataset(scratch_build, episodes)
    np.testing.assert_allclose(normaliser.state_mean[51:], right.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(normaliser.state_std[51:], np.where(right.std(axis=0) > 1e-6, right.std(axis=0), 1),
                               atol=1e-5)
    assert normaliser.state_std[:51] == [1.0] * 51  # no left hand in these episodes: a shift, never a division by 0
    assert normaliser.state_mean != Normaliser.from_dataset(scratch_build).state_mean
    fovs = np.stack([windows.window(e, 0)["fov"] for e in episodes])
    np.testing.assert_allclose(normaliser.fov_mean_deg, fovs.mean(axis=0), atol=1e-4)
    # these episodes' lenses differ by less than the floor: the scale is the floor, not their (near-zero) spread
    assert normaliser.fov_std_deg == [FOV_MIN_SCALE_DEG] * 2
