"""Linear warmup, then cosine decay to the floor."""

from __future__ import annotations

import pytest

from vitra_core.training.schedule import lr_factor


def test_warmup_rises_linearly_then_cosine_falls_to_the_floor():
    factors = [lr_factor(step, total_steps=110, warmup_steps=10, min_ratio=0.1) for step in range(110)]
    assert factors[:10] == pytest.approx([(k + 1) / 10 for k in range(10)])
    assert factors[10] == pytest.approx(1.0)
    assert factors[60] == pytest.approx(0.55)  # half-way down the cosine: the mean of 1 and the floor
    assert all(a >= b for a, b in zip(factors[10:], factors[11:]))
    assert lr_factor(110, 110, 10, 0.1) == pytest.approx(0.1)
