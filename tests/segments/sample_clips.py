"""Every real sample clip through the hand-pose stage once per test process (shared by tests/segments and
tests/captions; extraction runs at ~40 frames/s, ~50 s for all clips on two cores)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from vitra_core.hands import HandPoses, extract_hand_poses

# ego4d_cf7c12db.gif: its lifting hand is checked in test_real_clips on the normalised clip (the pipeline's input)
CLIP_GLOBS = ("lavila/*.mp4", "lavila/*.gif", "mediapipe_samples/hl_test_video.mp4", "tfjs/asl_hand.25fps.mp4",
              "egoloc/*.mp4", "video_to_data/*.mp4")


def sample_clip_paths(shared_data: Path) -> list[Path]:
    return [path for pattern in CLIP_GLOBS for path in sorted(shared_data.glob(pattern))]


@lru_cache(maxsize=None)
def _extract(path: str) -> HandPoses:
    return extract_hand_poses(path)


def sample_poses(shared_data: Path) -> dict[str, HandPoses]:
    """{file name: poses} of every sample clip."""
    return {path.name: _extract(str(path)) for path in sample_clip_paths(shared_data)}
