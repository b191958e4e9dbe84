"""Gap bridging, interpolation and smoothing on plain arrays."""

from __future__ import annotations

import numpy as np
import pytest

from vitra_core.hands.temporal import bridge_gaps, interpolate_gaps, smooth_tracks


def test_short_gap_within_one_track_is_bridged_and_long_or_open_gaps_are_not() -> None:
    track = np.array([-1, 0, 0, -1, -1, 0, -1, -1, -1, 0, -1])
    assert bridge_gaps(track, max_gap_frames=2).tolist() == [-1, 0, 0, 0, 0, 0, -1, -1, -1, 0, -1]
    assert bridge_gaps(track, max_gap_frames=3).tolist() == [-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]
    assert bridge_gaps(track, max_gap_frames=0).tolist() == track.tolist()


def test_gap_between_two_different_hands_is_not_bridged() -> None:
    track = np.array([3, 3, -1, 4, 4])
    assert bridge_gaps(track, max_gap_frames=5).tolist() == track.tolist()


def test_interpolation_is_linear_between_the_nearest_known_frames() -> None:
    values = np.array([[0.0, 10.0], [np.nan, np.nan], [np.nan, np.nan], [3.0, 40.0], [5.0, 0.0]])
    known = np.isfinite(values[:, 0])
    filled = interpolate_gaps(values, known, ~known)
    np.testing.assert_allclose(filled, [[0, 10], [1, 20], [2, 30], [3, 40], [5, 0]])
    assert np.isnan(values[1]).all()  # input untouched


def test_interpolation_refuses_a_gap_open_at_one_end() -> None:
    with pytest.raises(ValueError, match="no known frame"):
        interpolate_gaps(np.array([np.nan, 1.0]), np.array([False, True]), np.array([True, False]))


def test_smoothing_keeps_a_polynomial_exact_and_has_no_lag_at_the_ends() -> None:
    t = np.arange(20.0)
    ramp = np.stack([0.5 * t, 0.01 * t**2], axis=1)
    smoothed = smooth_tracks(ramp, np.zeros(20, int), window_frames=7, polyorder=2)
    np.testing.assert_allclose(smoothed, ramp, atol=1e-9)


def test_smoothing_reduces_noise_and_stays_within_each_track() -> None:
    rng = np.random.default_rng(0)
    truth = np.sin(np.linspace(0, 3, 60))
    noisy = truth + rng.normal(0, 0.05, 60)
    track = np.r_[np.zeros(30, int), np.ones(30, int)]
    smoothed = smooth_tracks(noisy, track, window_frames=9, polyorder=2)

    def rms(error: np.ndarray) -> float:
        return float(np.sqrt(np.mean(error**2)))

    assert rms(smoothed - truth) < 0.75 * rms(noisy - truth)
    step = np.r_[np.zeros(30), np.ones(30)]
    np.testing.assert_allclose(smooth_tracks(step, track, 9, 2), step, atol=1e-9)


def test_smoothing_skips_empty_frames_and_shrinks_the_window_for_short_runs() -> None:
    values = np.array([np.nan, 1.0, 5.0, 2.0, 7.0, np.nan, 4.0, 0.0])
    track = np.array([-1, 0, 0, 0, 0, -1, 1, 1])
    smoothed = smooth_tracks(values, track, window_frames=9, polyorder=1)
    assert np.isnan(smoothed[[0, 5]]).all()
    np.testing.assert_allclose(smoothed[6:], values[6:])  # two frames: too short for a line fit
    assert smoothed[2] == pytest.approx(values[1:4].mean())  # four frames: window 3, centred line fit
