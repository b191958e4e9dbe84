"""Spans of presence per hand, and the smoothed wrist speed the cutting works on."""

from __future__ import annotations

import numpy as np

from vitra_core.segments.spans import presence_spans
from vitra_core.segments.speed import fill_gaps, path_length_m, wrist_motion


def test_short_gap_of_the_same_track_is_bridged() -> None:
    mask = np.array([1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1], bool)
    track = np.where(mask, 7, -1)
    assert presence_spans(mask, track, max_gap_frames=2) == [(0, 7), (11, 13)]


def test_a_new_track_starts_a_new_span_even_without_a_gap() -> None:
    mask = np.ones(6, bool)
    track = np.array([1, 1, 1, 2, 2, 2])
    assert presence_spans(mask, track, max_gap_frames=5) == [(0, 3), (3, 6)]


def test_gap_between_different_tracks_is_not_bridged() -> None:
    mask = np.array([1, 1, 0, 1, 1], bool)
    track = np.array([1, 1, -1, 2, 2])
    assert presence_spans(mask, track, max_gap_frames=5) == [(0, 2), (3, 5)]


def test_constant_velocity_gives_constant_speed_and_exact_path_length() -> None:
    t = np.arange(50) / 25.0
    wrist = np.stack([0.1 * t, np.zeros(50), np.full(50, 0.5)], axis=1)  # 0.1 m/s along x
    motion = wrist_motion(wrist, np.ones(50, bool), t, sigma_s=0.1)
    np.testing.assert_allclose(motion.speed_mps[10:-10], 0.1, atol=1e-4)
    assert abs(path_length_m(motion.position_m) - 0.1 * t[-1]) < 0.01


def test_gaps_are_filled_linearly_before_smoothing() -> None:
    values = np.array([[0.0], [np.nan], [np.nan], [3.0]])
    filled = fill_gaps(values, np.array([True, False, False, True]))
    np.testing.assert_allclose(filled[:, 0], [0, 1, 2, 3])
