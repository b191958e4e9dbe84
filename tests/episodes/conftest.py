"""Fixtures: three real clips normalised, their hand poses extracted, hand-made spans, and datasets built from them."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from vitra_core.episodes import EpisodeSpan, VideoEpisodesInput, build_dataset
from vitra_core.hands import extract_hand_poses
from vitra_core.video import NormaliseSettings, normalise_clip

CLIPS = {
    "cooking": "lavila/ego4d_3c0dffd0_012_014.mp4",
    "handlandmark": "mediapipe_samples/hl_test_video.mp4",
    "asl": "tfjs/asl_hand.25fps.mp4",
}


def one_second_spans(num_frames: int, fps: int = 30, limit: int = 3) -> list[EpisodeSpan]:
    """Right-hand 1 s windows from the start, plus a left-hand span over the last 20 frames (overlapping)."""
    spans = [
        EpisodeSpan(start_frame=start, end_frame=min(start + fps, num_frames), hand="right",
                    instruction=f"Left hand: None. Right hand: Do step {k}.", rephrasings=[f"Perform step {k}."],
                    primitives=["reach"])
        for k, start in enumerate(range(0, num_frames, fps)[:limit])
    ]
    spans.append(EpisodeSpan(start_frame=num_frames - 20, end_frame=num_frames, hand="left",
                             instruction="Left hand: Wave the left hand. Right hand: None.", primitives=["wave"]))
    return spans


@pytest.fixture(scope="session")
def episode_sources(shared_data: Path, tmp_path_factory) -> dict[str, VideoEpisodesInput]:
    folder = tmp_path_factory.mktemp("episode_clips")
    sources = {}
    for name, relative in CLIPS.items():
        clip = folder / f"{name}.mp4"
        normalise_clip(shared_data / relative, clip, NormaliseSettings())
        poses = extract_hand_poses(clip)
        sources[name] = VideoEpisodesInput(name, clip, poses, one_second_spans(poses.num_frames))
    return sources


def file_digests(root: Path, prefixes: tuple[str, ...] = ("data", "videos")) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for prefix in prefixes for p in sorted((root / prefix).rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def incremental_build(episode_sources, tmp_path_factory) -> dict:
    """Build from cooking + handlandmark, snapshot the files, then add asl."""
    root = tmp_path_factory.mktemp("incremental") / "dataset"
    first = build_dataset(root, [episode_sources["cooking"], episode_sources["handlandmark"]])
    before, before_meta = file_digests(root), file_digests(root, ("meta",))
    third = build_dataset(root, [episode_sources["asl"]])
    return {"root": root, "before": before, "before_meta": before_meta, "updates": first + third}


@pytest.fixture(scope="session")
def scratch_build(episode_sources, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("scratch") / "dataset"
    build_dataset(root, list(episode_sources.values()))
    return root


@pytest.fixture
def dataset_copy(incremental_build, tmp_path) -> Path:
    """A private copy of the incremental dataset for tests that change it."""
    target = tmp_path / "dataset"
    shutil.copytree(incremental_build["root"], target)
    return target
