"""Training batches as a pure function of (seed, step): exact resume and DDP == one process, by construction.

The global sample stream is a concatenation of seeded permutations of the dataset (one per epoch);
step s takes stream positions [s B, (s + 1) B) and rank r of W takes every W-th of them, starting at r.
Each position also gets its own seed, which drives its augmentation (flip, colour jitter) and its
flow-matching draws (starting noise, time t). So whichever process handles a sample, and whether or
not the run was restarted, the sample looks the same, and no sampler or RNG state needs saving.

Episodes are decoded once: EpisodeWindowDataset's per-process cache holds every episode of the
selection (the sample corpus is ~1k frames of 224 px: ~170 MB), keeping its window semantics.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, default_collate

from vitra_core.episodes.augment import AugmentSettings
from vitra_core.episodes.loader import EpisodeWindowDataset
from vitra_core.episodes.state_layout import ACTION_DIM

SampleKey = tuple[int, int]  # (dataset index, sample seed)


def sample_seed(seed: int, position: int) -> int:
    """A well-mixed 63-bit seed for stream position `position` of run `seed`."""
    return int(np.random.SeedSequence([seed, position]).generate_state(2, np.uint64)[0] >> np.uint64(1))


class StepBatchSampler(Sampler[list[SampleKey]]):
    """Yields, for steps start_step .. steps - 1, this rank's share of each global batch as SampleKeys."""

    def __init__(self, num_samples: int, global_batch: int, steps: int, seed: int, start_step: int = 0,
                 rank: int = 0, world_size: int = 1):
        if num_samples < 1:
            raise ValueError("the training selection has no samples")
        if global_batch % world_size:
            raise ValueError(f"batch_size {global_batch} is not divisible by the {world_size} DDP processes")
        self.num_samples, self.global_batch, self.steps, self.seed = num_samples, global_batch, steps, seed
        self.start_step, self.rank, self.world_size = start_step, rank, world_size
        self._epoch, self._order = -1, np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return max(0, self.steps - self.start_step)

    def _index_at(self, position: int) -> int:
        epoch, offset = divmod(position, self.num_samples)
        if epoch != self._epoch:
            self._epoch = epoch
            self._order = np.random.default_rng([self.seed, epoch]).permutation(self.num_samples)
        return int(self._order[offset])

    def batch(self, step: int) -> list[SampleKey]:
        first = step * self.global_batch
        positions = range(first + self.rank, first + self.global_batch, self.world_size)
        return [(self._index_at(p), sample_seed(self.seed, p)) for p in positions]

    def __iter__(self) -> Iterator[list[SampleKey]]:
        for step in range(self.start_step, self.steps):
            yield self.batch(step)


class SeededWindows(Dataset):
    """EpisodeWindowDataset samples keyed by (index, seed), plus that sample's flow draws noise [C, 102] and t."""

    def __init__(self, windows: EpisodeWindowDataset):
        self.windows = windows

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, key: SampleKey) -> dict:
        index, seed = key
        with torch.random.fork_rng(devices=[]):  # the loader's augmentation draws from torch's global RNG
            torch.manual_seed(seed)
            sample = self.windows[index]
        generator = torch.Generator().manual_seed(seed ^ 0x5EED)
        sample["noise"] = torch.randn(self.windows.chunk_size, ACTION_DIM, generator=generator)
        sample["flow_u"] = torch.rand((), generator=generator)
        return sample


def window_dataset(root: Path, chunk_size: int, episodes: list[int] | None, augment: AugmentSettings,
                   ) -> EpisodeWindowDataset:
    """All windows of the selection, with a cache large enough that each episode is decoded only once."""
    windows = EpisodeWindowDataset(root, chunk_size=chunk_size, augment=augment, episodes=episodes)
    windows.cache_episodes = len(windows.episode_indices)  # the caches are created on first use
    return windows


def step_loader(windows: EpisodeWindowDataset, sampler: StepBatchSampler, num_workers: int) -> DataLoader:
    return DataLoader(SeededWindows(windows), batch_sampler=sampler, num_workers=num_workers,
                      collate_fn=default_collate, persistent_workers=False)
