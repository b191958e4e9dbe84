from __future__ import annotations

from pathlib import Path

import pytest

from tests.segments.sample_clips import sample_poses
from vitra_core.hands import HandPoses, extract_hand_poses
from vitra_core.video import NormaliseSettings, normalise_clip


@pytest.fixture(scope="session")
def clip_poses(shared_data: Path) -> dict[str, HandPoses]:
    return sample_poses(shared_data)


@pytest.fixture(scope="session")
def lifting_clip_poses(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> HandPoses:
    """ego4d_cf7c12db.gif ("C lifts container.") normalised as the pipeline runs it (30 fps, 60 frames)."""
    clip = tmp_path_factory.mktemp("lifting_clip") / "ego4d_cf7c12db.mp4"
    normalise_clip(shared_data / "lavila" / "ego4d_cf7c12db.gif", clip, NormaliseSettings())
    return extract_hand_poses(clip)
