"""Camera-motion fixtures: a rotating clip with exact ground truth made from a real frame, and short real
egocentric clips with their hand poses (computed once per session)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.camera.synthetic import render_rotating_clip, smooth_rotation_path
from vitra_core.hands import HandPoses, extract_hand_poses
from vitra_core.video.frames import iter_frames

TRUE_FOV_DEG = 70.0


@dataclass(frozen=True)
class RotatingClip:
    path: Path
    R_world_cam: np.ndarray  # [T, 3, 3] ground truth
    fov_deg: float


@pytest.fixture(scope="session")
def rotating_clip(shared_data: Path, tmp_path_factory) -> RotatingClip:
    """40 frames (30 fps, 480x360, fov 70 deg, H.264 crf 23) of a camera turning in front of the first frame
    of the bathroom-cabinet clip: yaw +-10 deg, pitch -2..7 deg, roll -7..1 deg, up to 1.8 deg per frame."""
    source = next(iter_frames(shared_data / "egoloc" / "egopat3d_video1.mp4", max_frames=1)).rgb
    rotations = smooth_rotation_path(40, yaw_deg=10.0, pitch_deg=5.0, roll_deg=4.0)
    path = tmp_path_factory.mktemp("rotating") / "rotating.mp4"
    render_rotating_clip(source, rotations, TRUE_FOV_DEG, (480, 360), path)
    return RotatingClip(path, rotations, TRUE_FOV_DEG)


def trim(source: Path, target: Path, first: int, count: int) -> Path:
    """Frames first .. first+count-1 of `source`, re-encoded (H.264 crf 18), no audio."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), "-vf",
                    f"select='between(n,{first},{first + count - 1})',setpts=N/FRAME_RATE/TB",
                    "-an", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", str(target)], check=True)
    return target


@pytest.fixture(scope="session")
def desk_resting_clip(shared_data: Path, tmp_path_factory) -> Path:
    """Frames 30-59 of the desk clip: the head turns ~6 deg while the hand on the image's right rests on the
    desk and the other reaches for the glass (checked by eye)."""
    return trim(shared_data / "egoloc" / "egopat3d_rgb.mp4", tmp_path_factory.mktemp("desk") / "desk_30_59.mp4", 30, 30)


@pytest.fixture(scope="session")
def hand_poses_of():
    """Hand poses of a clip, extracted once per session (MediaPipe runs ~40 frames/s)."""
    cache: dict[Path, HandPoses] = {}

    def poses(path: Path) -> HandPoses:
        if path not in cache:
            cache[path] = extract_hand_poses(path)
        return cache[path]
    return poses
