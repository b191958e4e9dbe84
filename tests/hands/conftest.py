"""Fixtures for the hand-pose tests: one extraction reused by many tests (`shared_data` is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitra_core.hands import HandPoses, extract_hand_poses


@pytest.fixture(scope="session")
def asl_video(shared_data: Path) -> Path:
    return shared_data / "tfjs" / "asl_hand.25fps.mp4"


@pytest.fixture(scope="session")
def asl_poses(asl_video: Path) -> HandPoses:
    """The whole ASL clip (325 frames, one hand) through the default pipeline."""
    return extract_hand_poses(asl_video)
