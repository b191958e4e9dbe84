"""Normaliser: motion scale from real motion, safe scales, JSON round trip."""

from __future__ import annotations

import math

import numpy as np

from vitra_core.model import Normaliser
from vitra_core.model.normaliser import motion_rms


def episode(frames: int, present: bool = True) -> np.ndarray:
    """[T, 104]: the right wrist moves 1 cm per frame along x; its rx turns 0.1 rad per frame through +-pi."""
    states = np.zeros((frames, 104), dtype=np.float32)
    states[:, 51] = 0.01 * np.arange(frames)
    states[:, 54] = ((3.0 + 0.1 * np.arange(frames) + math.pi) % (2 * math.pi)) - math.pi
    states[:, 103] = float(present)
    return states


def test_motion_rms_is_the_rms_step_over_the_chunk_with_angles_unwrapped():
    trajectory = episode(41)  # the actions are the next states: the clip goes on one frame past the episode
    rms = motion_rms([(trajectory[:40], trajectory[1:])], chunk_size=4)
    k = np.arange(1, 5)
    counts = 41 - k  # pairs (state t, action t + k - 1) inside the episode
    expected = np.sqrt((counts * k**2).sum() / counts.sum())
    np.testing.assert_allclose(rms[51], 0.01 * expected, rtol=1e-5)
    np.testing.assert_allclose(rms[54], 0.1 * expected, rtol=1e-4)
    assert rms[0] == 0 and rms[60] == 0  # the absent left hand and a still joint


def test_unmeasured_motion_scale_defaults_to_the_state_std_and_round_trips(tmp_path):
    normaliser = Normaliser(state_mean=[0.0] * 102, state_std=[0.3] * 102, fov_mean_deg=[60, 45], fov_std_deg=[5, 5])
    assert normaliser.delta_rms == [0.3] * 102
    normaliser.save(tmp_path / "normaliser.json")
    assert Normaliser.load(tmp_path / "normaliser.json") == normaliser
