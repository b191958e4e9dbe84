"""Cutting a speed profile at its minima: merge short pieces, split long ones, always within the bounds."""

from __future__ import annotations

import numpy as np
import pytest

from vitra_core.segments.speed_minima import cut_at_speed_minima, prominent_minima


def bumps(*lengths: int, height: float = 0.3, floor: float = 0.0) -> np.ndarray:
    """A speed profile of consecutive half-sine bumps (one per movement) resting on `floor`."""
    return np.concatenate([floor + height * np.sin(np.linspace(0, np.pi, n)) for n in lengths])


def test_two_movements_are_cut_at_the_pause_between_them() -> None:
    speed = bumps(30, 30)
    assert cut_at_speed_minima(speed, 12, 100, 0.02) == [(0, 30), (30, 60)]


def test_shallow_dip_below_the_prominence_does_not_cut() -> None:
    flat = 0.3 + 0.005 * np.sin(np.linspace(0, 6 * np.pi, 60))  # wiggles of 0.01 m/s
    assert cut_at_speed_minima(flat, 12, 100, 0.02) == [(0, 60)]
    assert len(prominent_minima(flat, 0.02)) == 0
    assert len(prominent_minima(flat, 0.001)) > 0


def test_short_fragment_is_merged_across_its_weaker_cut() -> None:
    # movements of 30, 6, 30 frames; the cut before the short one is deeper (0.0) than the one after (0.1)
    speed = np.concatenate([bumps(30), bumps(6, floor=0.1), bumps(30, floor=0.1)])
    speed[30] = 0.0
    pieces = cut_at_speed_minima(speed, 12, 100, 0.02)
    assert pieces == [(0, 30), (30, 66)]


def test_fragment_at_the_span_start_joins_the_only_neighbour() -> None:
    pieces = cut_at_speed_minima(bumps(5, 30), 12, 100, 0.02)
    assert pieces == [(0, 35)]


def test_too_long_span_is_split_at_its_deepest_interior_minimum() -> None:
    # one 100-frame piece (no prominent minimum) with shallow dips at 30 (0.25) and 60 (0.22)
    speed = np.full(100, 0.3)
    speed[30], speed[60] = 0.25, 0.22
    assert cut_at_speed_minima(speed, 12, 80, 0.5) == [(0, 60), (60, 100)]


def test_split_is_recursive_and_never_leaves_a_piece_out_of_bounds() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 400))
        speed = np.abs(rng.normal(0.2, 0.1, n)).cumsum() % 0.5 if rng.random() < 0.5 else rng.random(n)
        min_frames = int(rng.integers(2, 20))
        max_frames = int(rng.integers(2 * min_frames, 5 * min_frames + 1))
        pieces = cut_at_speed_minima(speed, min_frames, max_frames, float(rng.uniform(0, 0.3)))
        if n < min_frames:
            assert pieces == []
            continue
        assert pieces[0][0] == 0 and pieces[-1][1] == n  # nothing lost inside a long-enough span
        assert all(a == b for (_, a), (b, _) in zip(pieces[:-1], pieces[1:]))
        assert all(min_frames <= end - start <= max_frames for start, end in pieces), (n, min_frames, max_frames)


def test_span_shorter_than_the_minimum_gives_nothing() -> None:
    assert cut_at_speed_minima(bumps(10), 12, 100, 0.02) == []


def test_bounds_that_cannot_split_are_refused() -> None:
    with pytest.raises(ValueError, match="max_frames"):
        cut_at_speed_minima(bumps(30), 12, 20, 0.02)
