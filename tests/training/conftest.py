"""Training tests run on a real episode dataset: the episode tests' session fixtures, reused (not copied)."""

from __future__ import annotations

import os

import pytest
import torch

from tests.episodes.conftest import episode_sources, scratch_build  # noqa: F401  (pytest fixtures)

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: the test machine's cores are shared, and 2 spinning threads stall on a busy core."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
