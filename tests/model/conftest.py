"""Model tests: small synthetic inputs (the training tests use real episodes)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.training.conftest import one_thread  # noqa: F401  (autouse: one torch thread)
from vitra_core.episodes.state_layout import ACTION_DIM
from vitra_core.model import Normaliser

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded

INSTRUCTION = "Left hand: None. Right hand: Pick up the bottle."
TINY_BERT = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}


@pytest.fixture
def normaliser() -> Normaliser:
    rng = np.random.default_rng(0)
    return Normaliser(state_mean=rng.normal(0, 0.3, ACTION_DIM).tolist(),
                      state_std=rng.uniform(0.1, 1.0, ACTION_DIM).tolist(),
                      delta_rms=rng.uniform(0.01, 0.2, ACTION_DIM).tolist(),
                      fov_mean_deg=[60.0, 45.0], fov_std_deg=[5.0, 5.0], source="synthetic")


@pytest.fixture
def observation() -> dict:
    """predict()'s inputs: a 180 x 320 camera frame, the right hand present."""
    rng = np.random.default_rng(1)
    state = np.zeros(ACTION_DIM, dtype=np.float32)
    state[51:] = rng.normal(0, 0.3, 51)
    state[51:54] = (0.05, 0.02, 0.45)  # right wrist 45 cm in front of the camera
    return {"image": rng.integers(0, 256, (180, 320, 3), dtype=np.uint8), "instruction": INSTRUCTION,
            "state": state, "state_mask": np.array([False, True]), "fov": np.array([60.0, 36.0], dtype=np.float32)}
