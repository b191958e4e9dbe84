from __future__ import annotations

from pathlib import Path

import pytest

from tests.segments.sample_clips import sample_poses
from vitra_core.hands import HandPoses


@pytest.fixture(scope="session")
def clip_poses(shared_data: Path) -> dict[str, HandPoses]:
    return sample_poses(shared_data)
